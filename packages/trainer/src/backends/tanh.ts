import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import type { WasmBackendLike } from './wasm-heap.js';

/** The backend's own vectorised kernels that Tanh is built from. */
export interface TanhParts {
  sigmoid: KernelFunc;
  multiply: KernelFunc;
  sub: KernelFunc;
}

/**
 * Tanh for tfjs-backend-wasm, whose 4.22 kernel calls scalar libm tanh (tens of times slower than its XNNPACK
 * sigmoid): tanh(x) = 2 sigmoid(2 x) - 1 (the identity tanh(x) = (1 - e^-2x) / (1 + e^-2x)), by the backend's
 * Multiply, Sigmoid and Sub kernels. The absolute error stays within a few float32 ulps of 1 (about 2e-7);
 * non-float32 inputs go to `stock`.
 *
 * @example
 * const k = (name: string) => tf.getKernel(name, 'wasm').kernelFunc;
 * const tanh = makeTanh({ sigmoid: k('Sigmoid'), multiply: k('Multiply'), sub: k('Sub') }, k('Tanh'));
 */
export function makeTanh(parts: TanhParts, stock: KernelFunc): KernelFunc {
  return (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
    const { inputs, backend } = args;
    const x = inputs['x'] as TensorInfo;
    if (x.dtype !== 'float32') return stock(args as never);
    const wasm = backend as WasmBackendLike;
    const run = (k: KernelFunc, ins: NamedTensorInfoMap): TensorInfo =>
      k({ inputs: ins, backend: backend as never, attrs: {} }) as TensorInfo;
    const two = wasm.makeOutput([], 'float32', undefined, Float32Array.of(2));
    const one = wasm.makeOutput([], 'float32', undefined, Float32Array.of(1));
    const doubled = run(parts.multiply, { a: x, b: two });
    const s = run(parts.sigmoid, { x: doubled });
    const twice = run(parts.multiply, { a: s, b: two });
    const out = run(parts.sub, { a: twice, b: one });
    for (const t of [two, one, doubled, s, twice]) wasm.disposeData(t.dataId);
    return out;
  };
}
