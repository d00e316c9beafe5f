import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { nativeGemm, type NativeGemm } from './native-gemm.js';
import { heapF32, type WasmBackendLike } from './wasm-heap.js';

/**
 * Per-matrix work (m * k * n multiply-adds) from which a batched product runs as one batch-1 product per matrix:
 * tfjs-backend-wasm 4.22 reaches XNNPACK only for batch 1, and below this size its batched loop is cheaper than
 * the copies (measured by `npm run bench -w @dpledger/trainer`).
 */
export const SPLIT_BATCH_MIN_WORK = 1 << 20;

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * BatchMatMul for tfjs-backend-wasm. Under Node with the native GEMM loaded (native-gemm.ts), a float32 product runs
 * there, transpose flags and batches included, straight on the wasm heap. Otherwise it keeps to the fast path of
 * `original` (the stock kernel): a transposed operand is materialised first with the backend's Transpose kernel,
 * and a large batched product runs matrix by matrix. Results equal the stock kernel's up to float32 summation order.
 *
 * @example
 * const fast = makeBatchMatMul(tf.getKernel('BatchMatMul', 'wasm').kernelFunc, tf.getKernel('Transpose',
 * 'wasm').kernelFunc);
 */
export function makeBatchMatMul(original: KernelFunc, transpose: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
    const wasm = backend as WasmBackendLike;
    const { transposeA, transposeB } = attrs as unknown as MatMulAttrs;
    const native = nativeGemm();
    if (native) {
      const out = nativeProduct(native, wasm, inputs['a'] as TensorInfo, inputs['b'] as TensorInfo, attrs as never);
      if (out) return out;
    }
    const temps: TensorInfo[] = [];
    const a = untransposed(transpose, backend, inputs['a'] as TensorInfo, transposeA, temps);
    const b = untransposed(transpose, backend, inputs['b'] as TensorInfo, transposeB, temps);
    const noFlags = { transposeA: false, transposeB: false };
    const run = (x: TensorInfo, y: TensorInfo): TensorInfo =>
      original({ inputs: { a: x, b: y }, backend: backend as never, attrs: noFlags }) as TensorInfo;
    const out = shouldSplit(a, b) ? splitBatches(wasm, a, b, run) : run(a, b);
    for (const t of temps) wasm.disposeData(t.dataId);
    return out;
  };
}

/**
 * `t` with its last two axes swapped by the backend's Transpose kernel when `flip` (the copy is pushed to `temps`,
 * for the caller to dispose), else `t` itself.
 * @example const a = untransposed(transpose, backend, inputs.a, attrs.transposeA, temps);
 */
export function untransposed(
  transpose: KernelFunc,
  backend: unknown,
  t: TensorInfo,
  flip: boolean,
  temps: TensorInfo[],
): TensorInfo {
  if (!flip) return t;
  const r = t.shape.length;
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  const flipped = transpose({ inputs: { x: t }, backend: backend as never, attrs: { perm } }) as TensorInfo;
  temps.push(flipped);
  return flipped;
}

const product = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

/**
 * The product on the native GEMM, or null where it does not apply (another dtype, an empty or mismatched operand,
 * batch dimensions that broadcast other than all-or-one): the caller then runs the wasm path.
 */
function nativeProduct(
  native: NativeGemm,
  wasm: WasmBackendLike,
  a: TensorInfo,
  b: TensorInfo,
  { transposeA, transposeB }: MatMulAttrs,
): TensorInfo | null {
  const r = a.shape.length;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || r < 2 || b.shape.length !== r) return null;
  const [m, k] = transposeA ? [a.shape[r - 1]!, a.shape[r - 2]!] : [a.shape[r - 2]!, a.shape[r - 1]!];
  const [kb, n] = transposeB ? [b.shape[r - 1]!, b.shape[r - 2]!] : [b.shape[r - 2]!, b.shape[r - 1]!];
  const [leadA, leadB] = [a.shape.slice(0, -2), b.shape.slice(0, -2)];
  const [ba, bb] = [product(leadA), product(leadB)];
  const sameLead = leadA.every((d, i) => d === leadB[i]);
  if (k !== kb || m * n * k === 0 || !(sameLead || ba === 1 || bb === 1)) return null;
  const out = wasm.makeOutput([...(ba >= bb ? leadA : leadB), m, n], 'float32');
  const [va, vb, vo] = [heapF32(wasm, a), heapF32(wasm, b), heapF32(wasm, out)]; // views after the allocation
  if (!(vo.buffer instanceof ArrayBuffer)) {
    wasm.disposeData(out.dataId); // a threaded wasm build's shared memory: the addon takes plain ArrayBuffers only
    return null;
  }
  native.gemm(vo.buffer, va.byteOffset, vb.byteOffset, vo.byteOffset, ba, bb, m, n, k, transposeA, transposeB);
  return out;
}

function shouldSplit(a: TensorInfo, b: TensorInfo): boolean {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length !== 3 || b.shape.length !== 3) return false;
  const [ba, m, k] = a.shape as [number, number, number];
  const [bb, , n] = b.shape as [number, number, number];
  return Math.max(ba, bb) > 1 && (ba === bb || ba === 1 || bb === 1) && m * k * n >= SPLIT_BATCH_MIN_WORK;
}

/** One batch-1 product per matrix; an operand of batch 1 is broadcast. */
function splitBatches(
  wasm: WasmBackendLike,
  a: TensorInfo,
  b: TensorInfo,
  run: (x: TensorInfo, y: TensorInfo) => TensorInfo,
): TensorInfo {
  const [ba, m, k] = a.shape as [number, number, number];
  const [bb, , n] = b.shape as [number, number, number];
  const batch = Math.max(ba, bb);
  const out = wasm.makeOutput([batch, m, n], 'float32');
  for (let i = 0; i < batch; i++) {
    const ai = wasm.makeOutput([1, m, k], 'float32');
    const bi = wasm.makeOutput([1, k, n], 'float32');
    const ia = ba === 1 ? 0 : i;
    const ib = bb === 1 ? 0 : i;
    heapF32(wasm, ai).set(heapF32(wasm, a).subarray(ia * m * k, (ia + 1) * m * k));
    heapF32(wasm, bi).set(heapF32(wasm, b).subarray(ib * k * n, (ib + 1) * k * n));
    const oi = run(ai, bi);
    heapF32(wasm, out).set(heapF32(wasm, oi), i * m * n);
    for (const t of [ai, bi, oi]) wasm.disposeData(t.dataId);
  }
  return out;
}
