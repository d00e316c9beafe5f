/**
 * The update rules DP-SGD applies to the noised mean gradient. Their state (momentum, Adam moments) is plain tensors
 * so a checkpoint can save and restore it exactly. The update is post-processing of the noised gradient: it costs no
 * privacy.
 */
import * as tf from '@tensorflow/tfjs';
import { heapViews, nativeHeap, tensorFromHeap } from '../backends/wasm-heap.js';
import { fail } from './fail.js';

/** Optimizer settings as a user writes them. */
export interface OptimizerConfig {
  kind: 'sgd' | 'momentum' | 'adam';
  learningRate: number;
  /** momentum only (default 0.9). */
  momentum?: number;
  /** adam only (defaults 0.9, 0.999, 1e-8). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Serializable optimizer state: the step count and each slot's values in weight order. */
export interface OptimizerState {
  kind: OptimizerConfig['kind'];
  iterations: number;
  /** slots[s][w]: slot s (momentum: [v]; adam: [m, v]) for weight w. */
  slots: { shape: number[]; values: Float32Array }[][];
}

/**
 * The SGD (v null) or momentum update in one native pass on the wasm heap (native/heap-ops.cc): [w', v'], bit for bit
 * the tensor ops of `apply`; null where it does not apply (another backend, no addon, shapes that differ).
 */
function heapStep(w: tf.Tensor, g: tf.Tensor, v: tf.Tensor | null, lr: number, mu: number): tf.Tensor[] | null {
  const inputs = v === null ? [w, g] : [w, g, v];
  const h = nativeHeap(...inputs);
  if (h === null || inputs.some((t) => t.shape.join() !== w.shape.join())) return null;
  const out = heapViews(h, inputs, v === null ? [w.shape] : [w.shape, w.shape]);
  if (out === null) return null;
  const [vw, vg, vv] = out.ins as [Float32Array, Float32Array, Float32Array?];
  const [ow, ov] = out.outViews as [Float32Array, Float32Array?];
  if (vv === undefined || ov === undefined)
    h.native.sgdStep(out.mem, vw.byteOffset, vg.byteOffset, ow.byteOffset, w.size, lr);
  else
    h.native.momentumStep(
      out.mem,
      vw.byteOffset,
      vg.byteOffset,
      vv.byteOffset,
      ow.byteOffset,
      ov.byteOffset,
      w.size,
      lr,
      mu,
    );
  return out.outs.map((o) => tensorFromHeap(o));
}

/** Applies gradients to variables (on the wasm heap in one native pass each where it can: `heapStep`). */
export class DpOptimizer {
  readonly config: Required<OptimizerConfig>;
  private iterations = 0;
  private slots: tf.Variable[][] = [];

  /** @example const opt = new DpOptimizer({ kind: 'adam', learningRate: 1e-3 }); */
  constructor(config: OptimizerConfig) {
    const c = { momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...config };
    if (!['sgd', 'momentum', 'adam'].includes(c.kind))
      fail('invalid_argument', `unknown optimizer kind '${String(c.kind)}'`);
    for (const [k, v] of Object.entries(c))
      if (k !== 'kind' && !(typeof v === 'number' && Number.isFinite(v) && v >= 0))
        fail('invalid_argument', `optimizer ${k} must be a finite number >= 0`);
    if (!(c.learningRate > 0)) fail('invalid_argument', 'optimizer learningRate must be > 0');
    this.config = c;
  }

  private slotCount(): number {
    return this.config.kind === 'sgd' ? 0 : this.config.kind === 'momentum' ? 1 : 2;
  }

  private ensureSlots(vars: tf.Variable[]): void {
    if (this.slots.length === this.slotCount() && this.slots.every((s) => s.length === vars.length)) return;
    this.slots = Array.from({ length: this.slotCount() }, () => vars.map((v) => tf.variable(tf.zerosLike(v), false)));
  }

  /** w <- update(w, g) for each (variable, gradient) pair, in place. */
  apply(vars: tf.Variable[], grads: tf.Tensor[]): void {
    if (vars.length !== grads.length) fail('invalid_argument', `${grads.length} gradients for ${vars.length} weights`);
    this.ensureSlots(vars);
    this.iterations++;
    const { kind, learningRate: lr, momentum, beta1, beta2, epsilon } = this.config;
    const t = this.iterations;
    tf.tidy(() => {
      vars.forEach((w, i) => {
        const g = grads[i]!;
        if (kind === 'sgd') {
          w.assign(heapStep(w, g, null, lr, 0)?.[0] ?? w.sub(g.mul(lr))); // w <- w - lr g
        } else if (kind === 'momentum') {
          const v = this.slots[0]![i]!;
          const heap = heapStep(w, g, v, lr, momentum);
          if (heap !== null) {
            v.assign(heap[1]!);
            w.assign(heap[0]!);
            return;
          }
          v.assign(v.mul(momentum).add(g)); // heavy ball (Polyak 1964), as tf.train.momentum: v <- mu v + g
          w.assign(w.sub(v.mul(lr)));
        } else {
          const m = this.slots[0]![i]!;
          const v = this.slots[1]![i]!;
          m.assign(m.mul(beta1).add(g.mul(1 - beta1))); // Adam (Kingma & Ba 2015, Alg. 1): biased moments
          v.assign(v.mul(beta2).add(g.square().mul(1 - beta2)));
          const mHat = m.div(1 - beta1 ** t); // bias correction
          const vHat = v.div(1 - beta2 ** t);
          w.assign(w.sub(mHat.mul(lr).div(vHat.sqrt().add(epsilon))));
        }
      });
    });
  }

  /** The state to checkpoint (read asynchronously: webgpu in Node has no synchronous read). */
  async getState(): Promise<OptimizerState> {
    const slots = await Promise.all(
      this.slots.map((slot) =>
        Promise.all(slot.map(async (v) => ({ shape: v.shape.slice(), values: Float32Array.from(await v.data()) }))),
      ),
    );
    return { kind: this.config.kind, iterations: this.iterations, slots };
  }

  /** Restores a saved state (same kind, same weight shapes). */
  setState(state: OptimizerState, vars: tf.Variable[]): void {
    if (state.kind !== this.config.kind)
      fail('bad_input', `checkpoint optimizer is '${state.kind}', this trainer uses '${this.config.kind}'`);
    this.dispose();
    this.iterations = state.iterations;
    if (state.slots.length === 0) return;
    this.slots = state.slots.map((slot) =>
      slot.map((s, i) => {
        const want = vars[i]?.shape ?? [];
        if (s.shape.join() !== want.join())
          fail('bad_input', `optimizer slot shape [${s.shape}] does not match weight [${want}]`);
        return tf.variable(tf.tensor(s.values, s.shape, 'float32'), false);
      }),
    );
  }

  /** Frees the slot variables. */
  dispose(): void {
    for (const slot of this.slots) for (const v of slot) v.dispose();
    this.slots = [];
  }
}
