import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { untransposed } from './batch-mat-mul.js';
import { nativeGemm } from './native-gemm.js';
import type { WasmBackendLike } from './wasm-heap.js';

/** The wasm kernels `makeFusedMatMul` composes. */
export interface FusedParts {
  /** Our BatchMatMul (batch-mat-mul.ts): the native GEMM where loaded. */
  matMul: KernelFunc;
  add: KernelFunc;
  relu: KernelFunc;
  transpose: KernelFunc;
}

/**
 * _FusedMatMul (tf.layers' Dense: a matMul, a bias, an activation) for tfjs-backend-wasm. With the native GEMM loaded
 * (native-gemm.ts), a linear or relu product runs as our BatchMatMul, then the backend's Add and Relu kernels, so a
 * plain step and inference use the products the DP step uses. Otherwise `original` (the stock kernel) runs, on
 * operands transposed first where a transpose flag is set: the stock kernel of tfjs-backend-wasm 4.22 gets transposed
 * products wrong (normwise relative error 0.9 on a 6 x 40 by 40 x 9 product with a bias).
 * @example
 * const k = (n: string) => tf.getKernel(n, 'wasm').kernelFunc;
 * const f = makeFusedMatMul(k('_FusedMatMul'), { matMul: k('BatchMatMul'), add: k('Add'), relu: k('Relu'),
 *   transpose: k('Transpose') });
 */
export function makeFusedMatMul(original: KernelFunc, parts: FusedParts): KernelFunc {
  return (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
    const { inputs, backend, attrs } = args;
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
    const { transposeA, transposeB, activation } = attrs as {
      transposeA: boolean;
      transposeB: boolean;
      activation?: string;
    };
    const act = activation ?? 'linear';
    const wasm = backend as WasmBackendLike;
    const be = backend as never;
    if (nativeGemm() === null || preluActivationWeights !== undefined || (act !== 'linear' && act !== 'relu')) {
      if (!transposeA && !transposeB) return original(args as never);
      const temps: TensorInfo[] = [];
      const flat = {
        ...inputs,
        a: untransposed(parts.transpose, backend, a!, transposeA, temps),
        b: untransposed(parts.transpose, backend, b!, transposeB, temps),
      };
      const out = original({ inputs: flat, backend: be, attrs: { ...attrs, transposeA: false, transposeB: false } });
      for (const t of temps) wasm.disposeData(t.dataId);
      return out;
    }
    let out = parts.matMul({ inputs: { a: a!, b: b! }, backend: be, attrs: { transposeA, transposeB } }) as TensorInfo;
    const then = (next: TensorInfo) => {
      wasm.disposeData(out.dataId);
      out = next;
    };
    if (bias !== undefined) then(parts.add({ inputs: { a: out, b: bias }, backend: be }) as TensorInfo);
    if (act === 'relu') then(parts.relu({ inputs: { x: out }, backend: be }) as TensorInfo);
    return out;
  };
}
