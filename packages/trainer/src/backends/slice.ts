import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import type { WasmBackendLike } from './wasm-heap.js';

/** Below this many elements per contiguous run, an element loop beats a subarray copy. */
const SHORT_RUN = 64;

/**
 * Slice for tfjs-backend-wasm, whose 4.22 kernel copies the whole input off the heap (readSync) and then moves a
 * strided slice one element at a time in JS: the slice is copied in place on the heap as runs that are contiguous
 * in both tensors (everything inside the innermost cut axis), each with one `TypedArray.set`. Strings go to `stock`.
 *
 * @example
 * tf.registerKernel({ kernelName: 'Slice', backendName: 'wasm', kernelFunc: makeSlice(tf.getKernel('Slice',
 * 'wasm').kernelFunc) });
 */
export function makeSlice(stock: KernelFunc): KernelFunc {
  return (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
    const x = args.inputs['x'] as TensorInfo;
    if (x.dtype === 'string') return stock(args as never);
    const wasm = args.backend as WasmBackendLike;
    const a = args.attrs as unknown as tf.SliceAttrs;
    const [begin, size] = tf.slice_util.parseSliceParams(x as never, a.begin, a.size) as [number[], number[]];
    const out = wasm.makeOutput(size, x.dtype);
    const rank = x.shape.length;
    if (size.some((d) => d === 0)) return out;
    const stride = new Array<number>(rank).fill(1);
    for (let i = rank - 2; i >= 0; i--) stride[i] = stride[i + 1]! * x.shape[i + 1]!;
    let axis = rank - 1;
    while (axis > 0 && begin[axis] === 0 && size[axis] === x.shape[axis]) axis--;
    const run = size[axis]! * stride[axis]!;
    let runs = 1;
    for (let i = 0; i < axis; i++) runs *= size[i]!;
    const src = wasm.typedArrayFromHeap(x);
    const dst = wasm.typedArrayFromHeap(out);
    const idx = new Array<number>(axis).fill(0);
    for (let r = 0; r < runs; r++) {
      let from = begin[axis]! * stride[axis]!;
      for (let i = 0; i < axis; i++) from += (begin[i]! + idx[i]!) * stride[i]!;
      const to = r * run;
      if (run >= SHORT_RUN) dst.set(src.subarray(from, from + run), to);
      else for (let j = 0; j < run; j++) dst[to + j] = src[from + j]!;
      for (let i = axis - 1; i >= 0; i--) {
        idx[i] = idx[i]! + 1;
        if (idx[i]! < size[i]!) break;
        idx[i] = 0;
      }
    }
    return out;
  };
}
