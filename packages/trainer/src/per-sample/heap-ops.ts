/**
 * The per-example statistics of a step on tfjs-backend-wasm's heap, under Node with the trainer's native addon
 * (native/heap-ops.cc, native/gemm.cc): each helper is one call where the tensor ops it replaces are three to seven
 * tfjs ops, each with its own engine bookkeeping. Results are tensors of the active tfjs scope (disposed by the
 * caller's tidy). Every helper answers null where it does not apply (another backend, the addon absent or switched off,
 * another dtype, shared memory); its caller then runs the tensor ops, which stay the reference: heap-ops.test.ts
 * pins each helper to them (bit for bit, or within float32 summation order for the row norms).
 */
import type * as tf from '@tensorflow/tfjs';
import { heapViews as views, nativeHeap as heap, tensorFromHeap as tensorOf } from '../backends/wasm-heap.js';

/**
 * A dense layer's per-example statistics at one position: [|a_i|^2 |g_i|^2, |g_i|^2] for a [B, in] input and a
 * [B, units] output gradient (Goodfellow 2015: the kernel gradient a_i g_i^T has |a_i| |g_i| as its norm).
 * @example const [kernelSq, biasSq] = denseSqNorms(a, g) ?? tensorOpsFallback();
 */
export function denseSqNorms(a: tf.Tensor, g: tf.Tensor): [tf.Tensor1D, tf.Tensor1D] | null {
  const h = heap(a, g);
  const b = a.shape[0] ?? 0;
  if (h === null || b === 0 || g.shape[0] !== b) return null;
  const v = views(h, [a, g], [[b], [b]]);
  if (v === null) return null;
  const [va, vg] = v.ins as [Float32Array, Float32Array];
  const [vk, vb] = v.outViews as [Float32Array, Float32Array];
  h.native.rowSqNorms(v.mem, va.byteOffset, vk.byteOffset, b, a.size / b);
  h.native.rowSqNorms(v.mem, vg.byteOffset, vb.byteOffset, b, g.size / b);
  for (let i = 0; i < b; i++) vk[i] = Math.fround((vk[i] as number) * (vb[i] as number)); // one float32 product
  return [tensorOf(v.outs[0]!), tensorOf(v.outs[1]!)];
}

/**
 * a^T diag(c) g for a [B, in] input, a [B, units] output gradient and per-example factors c [B]: the clipped sum of
 * the kernel gradients a_i g_i^T. Bit for bit tf.matMul(a, g.mul(c.reshape([B, 1])), true) on the same backend.
 * @example const kernelSum = clippedOuterSum(a, g, coeffs);
 */
export function clippedOuterSum(a: tf.Tensor, g: tf.Tensor, c: tf.Tensor1D): tf.Tensor2D | null {
  const h = heap(a, g, c);
  const b = a.shape[0] ?? 0;
  const [inDim, units] = [b === 0 ? 0 : a.size / b, b === 0 ? 0 : g.size / b];
  if (h === null || inDim * units === 0 || g.shape[0] !== b || c.size !== b) return null;
  const v = views(
    h,
    [a, g, c],
    [
      [b, units],
      [inDim, units],
    ],
  );
  if (v === null) return null;
  const [va, vg, vc] = v.ins as [Float32Array, Float32Array, Float32Array];
  const [vs, vo] = v.outViews as [Float32Array, Float32Array];
  h.native.scaleRows(v.mem, vg.byteOffset, vc.byteOffset, vs.byteOffset, b, units); // diag(c) g
  h.native.gemm(v.mem, va.byteOffset, vs.byteOffset, vo.byteOffset, 1, 1, inDim, units, b, true, false);
  h.wasm.disposeData(v.outs[0]!.dataId);
  return tensorOf<tf.Tensor2D>(v.outs[1]!);
}

/**
 * sum_i c_i g_i for a [B, units] gradient and factors c [B]: the clipped sum of a bias's per-example gradients. Bit
 * for bit c.reshape([1, B]).matMul(g).reshape([units]) on the same backend.
 * @example const biasSum = weightedRowSum(g, coeffs);
 */
export function weightedRowSum(g: tf.Tensor, c: tf.Tensor1D): tf.Tensor1D | null {
  const h = heap(g, c);
  const b = g.shape[0] ?? 0;
  const units = b === 0 ? 0 : g.size / b;
  if (h === null || units === 0 || c.size !== b) return null;
  const v = views(h, [g, c], [[units]]);
  if (v === null) return null;
  const [vg, vc] = v.ins as [Float32Array, Float32Array];
  const vo = v.outViews[0]!;
  h.native.gemm(v.mem, vc.byteOffset, vg.byteOffset, vo.byteOffset, 1, 1, 1, units, b, false, false);
  return tensorOf<tf.Tensor1D>(v.outs[0]!);
}

/**
 * Per-example norms over all weights and per-weight clip factors from per-weight squared norms, bit for bit the
 * tensor ops of clipping.ts (float32 sums in weight order, sqrt, min(1, C / max(norm, 1e-30))): `groups[k]` lists
 * the weights clipped together at `clipNorms[k]`. The factors of a group are one tensor, shared by its weights.
 * @example const r = clipFactors(sqNorms, [[0, 1, 2, 3]], [1]); // { norms, coeffs: [c, c, c, c] }
 */
export function clipFactors(
  sqNorms: tf.Tensor1D[],
  groups: number[][] | null,
  clipNorms: number[],
): { norms: tf.Tensor1D; coeffs: tf.Tensor1D[] } | null {
  const h = heap(...sqNorms);
  const b = sqNorms[0]?.size ?? 0;
  if (h === null || b === 0 || sqNorms.some((s) => s.size !== b)) return null;
  const gs = groups ?? [];
  const v = views(h, sqNorms, [[b], ...gs.map(() => [b])]);
  if (v === null) return null;
  const [norms, ...factors] = v.outViews as [Float32Array, ...Float32Array[]];
  const tiny = Math.fround(1e-30);
  const sqrtOfSum = (ids: readonly number[], i: number): number => {
    let s = v.ins[ids[0]!]![i]!;
    for (let k = 1; k < ids.length; k++) s = Math.fround(s + v.ins[ids[k]!]![i]!); // AddN, in order
    return Math.fround(Math.sqrt(s)); // a double sqrt rounded once to float32 is the float32 sqrt
  };
  const every = sqNorms.map((_, i) => i);
  for (let i = 0; i < b; i++) norms[i] = sqrtOfSum(every, i);
  const coeffs: tf.Tensor1D[] = groups === null ? [] : new Array<tf.Tensor1D>(sqNorms.length);
  gs.forEach((group, k) => {
    const out = factors[k]!;
    const all = group.length === sqNorms.length && group.every((w, j) => w === j);
    const c = Math.fround(clipNorms[k]!);
    for (let i = 0; i < b; i++) {
      const n = all ? norms[i]! : sqrtOfSum(group, i);
      // tfjs's Maximum, Div and Minimum: NaN stays NaN through each
      const m = Number.isNaN(n) ? n : Math.max(n, tiny);
      const q = Math.fround(c / m);
      out[i] = Number.isNaN(q) ? q : Math.min(q, 1);
    }
    const t = tensorOf<tf.Tensor1D>(v.outs[k + 1]!);
    for (const w of group) coeffs[w] = t;
  });
  return { norms: tensorOf(v.outs[0]!), coeffs };
}
