import * as tf from '@tensorflow/tfjs';
import type { DataType, TensorInfo, backend_util } from '@tensorflow/tfjs';
import { TrainerError } from '../per-sample/trainer-error.js';
import { nativeGemm, type NativeGemm } from './native-gemm.js';

/**
 * The part of tfjs-backend-wasm's `BackendWasm` that the kernel replacements use: tensors live on the wasm heap,
 * `makeOutput` allocates one (optionally copying `values` in) and `typedArrayFromHeap` is a view of its bytes.
 */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number, values?: backend_util.BackendValues): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): backend_util.TypedArray;
  readSync(dataId: object): backend_util.BackendValues;
  disposeData(dataId: object, force?: boolean): boolean;
  /** One more holder of `dataId`'s bytes (a view such as Reshape's); `disposeData` frees them when the last goes. */
  incRef(dataId: object): void;
}

/**
 * A float32 view of a tensor's bytes on the wasm heap. Take views only after the last allocation of a kernel:
 * growing the heap detaches earlier views.
 *
 * @example
 * const out = backend.makeOutput([2, 2], 'float32');
 * heapF32(backend, out).fill(0);
 */
export function heapF32(backend: WasmBackendLike, info: TensorInfo): Float32Array {
  const view = backend.typedArrayFromHeap(info);
  if (!(view instanceof Float32Array))
    throw new TrainerError('bad_input', `expected a float32 tensor, got ${info.dtype}`);
  return view;
}

/** The wasm backend and the trainer's native addon, for helpers that run on the heap (per-sample/heap-ops.ts). */
export interface NativeHeap {
  wasm: WasmBackendLike;
  native: NativeGemm;
}

/**
 * The active wasm backend and the native addon when every tensor given is float32; else null (another backend, the
 * addon absent or switched off, another dtype): the caller then runs tensor ops.
 * @example const h = nativeHeap(a, g); if (h === null) return null;
 */
export function nativeHeap(...tensors: tf.Tensor[]): NativeHeap | null {
  if (tf.getBackend() !== 'wasm') return null;
  const native = nativeGemm();
  if (native === null || tensors.some((t) => t.dtype !== 'float32')) return null;
  return { wasm: tf.backend() as unknown as WasmBackendLike, native };
}

const infoOf = (t: tf.Tensor): TensorInfo => ({ dataId: t.dataId, shape: t.shape, dtype: 'float32' });

/**
 * Allocates outputs of `shapes` on the heap, then takes float32 views of `inputs` and of the outputs (after the last
 * allocation: growing the heap detaches earlier views). Null, with the outputs freed, where the heap is a
 * SharedArrayBuffer (a threaded wasm build): the addon takes plain ArrayBuffers only.
 * @example const v = heapViews(h, [a], [[b]]); if (v) h.native.rowSqNorms(v.mem, v.ins[0].byteOffset, ...);
 */
export function heapViews(
  h: NativeHeap,
  inputs: tf.Tensor[],
  shapes: number[][],
): { mem: ArrayBuffer; ins: Float32Array[]; outs: TensorInfo[]; outViews: Float32Array[] } | null {
  const outs = shapes.map((s) => h.wasm.makeOutput(s, 'float32'));
  const ins = inputs.map((t) => heapF32(h.wasm, infoOf(t)));
  const outViews = outs.map((o) => heapF32(h.wasm, o));
  const mem = outViews[0]?.buffer ?? ins[0]?.buffer;
  if (!(mem instanceof ArrayBuffer)) {
    for (const o of outs) h.wasm.disposeData(o.dataId);
    return null;
  }
  return { mem, ins, outs, outViews };
}

/** A tensor of the active scope over a heap output (a tidy around the caller disposes it). */
export const tensorFromHeap = <T extends tf.Tensor>(o: TensorInfo): T => tf.engine().makeTensorFromTensorInfo(o) as T;
