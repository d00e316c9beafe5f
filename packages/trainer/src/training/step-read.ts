/**
 * A DP step's one device-to-host transfer (issue 12: no synchronous read, and only what the step needs). The step's
 * own figures, when it has any (the private loss sum when asked for, adaptive clipping's count), ride in the same
 * read as what the noise mechanism needs on the host (the discrete Gaussian's sums); a step that needs neither
 * reads nothing.
 */
import * as tf from '@tensorflow/tfjs';
import type { GpuWatch } from '../backends/gpu-watch.js';
import type { HostRead } from './noise-mechanism.js';

/**
 * @example
 * const r = new StepRead(gpu, figures);
 * const grads = await mechanism.privatize(sums, B, r.read);
 * const [lossSum, atMostC] = (await r.figures())!;
 */
export class StepRead {
  private values: Float32Array | null = null;

  /** @param figures the step's own figures (read once, with the mechanism's tensors if it reads any); null: none */
  constructor(
    private readonly gpu: GpuWatch,
    private figuresTensor: tf.Tensor | null,
  ) {}

  /** The mechanism's read: its tensors, flattened and concatenated after the step's figures, in one transfer. */
  readonly read: HostRead = async (tensors) => {
    const rider = this.values === null ? this.figuresTensor : null;
    const parts = rider ? [rider, ...tensors] : [...tensors];
    if (parts.length === 0) return [];
    const flat = tf.tidy(() => tf.concat(parts.map((t) => t.reshape([-1]))));
    let all: Float32Array;
    try {
      all = Float32Array.from(await this.gpu.read(flat));
    } finally {
      flat.dispose();
    }
    let offset = 0;
    const out = parts.map((t) => all.subarray(offset, (offset += t.size)));
    if (rider) this.take(out.shift()!);
    return out;
  };

  /** The step's figures: read now unless they rode with the mechanism's read; null when the step has none. */
  async figures(): Promise<Float32Array | null> {
    if (this.values === null && this.figuresTensor) {
      this.take(Float32Array.from(await this.gpu.read(this.figuresTensor)));
    }
    return this.values;
  }

  /** Frees the figures' tensor if it was never read (a step that threw). */
  dispose(): void {
    this.figuresTensor?.dispose();
    this.figuresTensor = null;
  }

  private take(values: Float32Array): void {
    this.values = values;
    this.dispose();
  }
}
