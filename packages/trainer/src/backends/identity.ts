import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import type { WasmBackendLike } from './wasm-heap.js';

/**
 * Identity for tfjs-backend-wasm, whose 4.22 kernel copies the tensor (tf.clone, and every tensor a customGrad op
 * such as a fused layer or a loss saves for its gradient): the result shares the input's data, counted by the
 * backend's reference count, as tfjs-backend-cpu's Identity and wasm's own Reshape do. Tensors are immutable, so
 * sharing is safe. Strings go to `stock`.
 *
 * @example
 * tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: makeIdentity(tf.getKernel('Identity',
 * 'wasm').kernelFunc) });
 */
export function makeIdentity(stock: KernelFunc): KernelFunc {
  return (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
    const x = args.inputs['x'] as TensorInfo;
    if (x.dtype === 'string') return stock(args as never);
    (args.backend as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}
