import type { DataType, TensorInfo, backend_util } from '@tensorflow/tfjs';
import { TrainerError } from '../per-sample/trainer-error.js';

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
