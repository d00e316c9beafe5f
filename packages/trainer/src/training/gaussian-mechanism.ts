/** The Gaussian mechanism on the clipped gradient sum: each coordinate gets N(0, (multiplier * C)^2). */
import * as tf from '@tensorflow/tfjs';
import { nativeGemm } from '../backends/native-gemm.js';
import { heapF32, type WasmBackendLike } from '../backends/wasm-heap.js';
import { fail } from './fail.js';
import { faults } from './faults.js';
import type { NoiseMechanism } from './noise-mechanism.js';
import type { GaussianNoiseStream } from './noise-prefetch.js';
import type { StepMechanism } from './step-events.js';
import type { Clipping } from '../per-sample/index.js';

/**
 * Returns `sums[i] * scale + zFactor * z_i` for each tensor, where `z` holds Gaussian samples for all of them in order
 * (drawn in JS, so secure mode never touches tfjs's RNG) and `scale` is 1 / expected batch size; a `zFactor` of 1 (z
 * already scaled) saves a tensor op. Each slice of `z` is uploaded once and dropped; inputs are not disposed. No
 * tensor made from `z` outlives the call (a tensor may share its array on the cpu backend), so `z` may be
 * overwritten as soon as it returns. On wasm with the native addon (backends/native-gemm.ts) each tensor is one pass
 * there, bit for bit the same ops.
 * @example const grads = addScaledNoise(sums, unitNoise, (1.1 * 1.0) / 256, 1 / 256);
 */
export function addScaledNoise(
  sums: readonly tf.Tensor[],
  z: Float32Array,
  zFactor: number,
  scale: number,
): tf.Tensor[] {
  if (!(zFactor >= 0 && Number.isFinite(zFactor)))
    fail('invalid_argument', `noise scale must be finite and >= 0, got ${zFactor}`);
  const total = sums.reduce((n, s) => n + s.size, 0);
  if (z.length !== total) fail('invalid_argument', `noise buffer has ${z.length} samples for ${total} coordinates`);
  let offset = 0;
  const native = tf.getBackend() === 'wasm' ? nativeGemm() : null;
  return sums.map((s) => {
    const part = z.subarray(offset, (offset += s.size));
    if (native && s.dtype === 'float32') {
      const wasm = tf.backend() as unknown as WasmBackendLike;
      const out = wasm.makeOutput(s.shape, 'float32');
      const [src, dst] = [heapF32(wasm, { dataId: s.dataId, shape: s.shape, dtype: 'float32' }), heapF32(wasm, out)];
      if (dst.buffer instanceof ArrayBuffer) {
        native.addNoise(dst.buffer, src.byteOffset, dst.byteOffset, part, scale, zFactor);
        return tf.engine().makeTensorFromTensorInfo(out);
      }
      wasm.disposeData(out.dataId); // a threaded build's shared memory: the tensor ops below
    }
    return tf.tidy(() => {
      const noise = tf.tensor(part, s.shape, 'float32');
      return tf.add(tf.mul(s, scale), zFactor === 1 ? noise : tf.mul(noise, zFactor));
    });
  });
}

/**
 * The Gaussian mechanism at a fixed clipping: a step adds N(0, (sigma C)^2) per coordinate to the clipped sum and is
 * accounted as gaussian(sigma) (stepEvent adds its sampling and relation).
 * @example
 * const stream = new GaussianNoiseStream(d, source, (1.1 * 1) / 256);
 * const m = new GaussianMechanism(1.1, { kind: 'flat', clipNorm: 1 }, 256, stream);
 */
export class GaussianMechanism implements NoiseMechanism {
  readonly adaptive = null;

  /** @param stream samples already scaled to std noiseMultiplier * C / expectedBatchSize */
  constructor(
    private readonly noiseMultiplier: number,
    private readonly fixed: Clipping,
    private readonly expectedBatchSize: number,
    readonly stream: GaussianNoiseStream,
  ) {}

  event(): StepMechanism {
    return { noise: 'gaussian', noiseMultiplier: this.noiseMultiplier };
  }

  clipping(): Clipping {
    return this.fixed;
  }

  /** (sum + N(0, (sigma C)^2)) / B (Abadi et al. 2016, Algorithm 1) as sum / B + z, z ~ N(0, (sigma C / B)^2). */
  async privatize(sums: readonly tf.Tensor[], B: number): Promise<tf.Tensor[]> {
    if (B !== this.expectedBatchSize)
      fail('invalid_argument', `the noise was scaled for B = ${this.expectedBatchSize}, not ${B}`);
    const z = await this.stream.next(); // already std sigma * C / B
    try {
      return addScaledNoise(sums, z, faults.noiseScale, 1 / B);
    } finally {
      this.stream.release(z); // its samples are in the returned tensors now: the stream refills the buffer
    }
  }
}
