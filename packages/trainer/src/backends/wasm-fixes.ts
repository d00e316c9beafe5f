import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { TrainerError } from '../per-sample/trainer-error.js';
import { makeBatchMatMul } from './batch-mat-mul.js';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { makeConv2DBackpropInput } from './conv2d-backprop-input.js';
import { delegateToCpu } from './cpu-delegate.js';
import { makeFusedMatMul } from './fused-mat-mul.js';
import { makeGather } from './gather.js';
import { makeIdentity } from './identity.js';
import { maxPoolGrad } from './max-pool-grad.js';
import { makeSlice } from './slice.js';
import { makeTanh } from './tanh.js';

/** Marks a kernel function as ours, so that registering twice changes nothing. */
const OURS = Symbol.for('@dpledger/trainer/wasm-fix');

/** Gradient kernels tfjs-backend-wasm 4.22 lacks that tfjs-layers training needs, run on cpu when missing. */
const DELEGATED = ['UnsortedSegmentSum', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];

/**
 * Registers the wasm kernel fixes for TensorFlow.js 4.22: Conv2DBackpropFilter (missing), MaxPoolGrad and
 * MaxPool3DGrad (wrong when a window's maximum is <= 0), BatchMatMul (slow with transpose flags or a large batch;
 * on the native GEMM under Node where built) and _FusedMatMul (on it too; the stock kernel is wrong with transposes),
 * cpu-backed UnsortedSegmentSum and DepthwiseConv2dNative backprops (missing), and faster Conv2DBackpropInput (a
 * scalar loop, replaced by a matMul and col2im), Tanh (scalar libm, replaced by XNNPACK's sigmoid), Slice (copied
 * element by element off the heap, replaced by contiguous runs), GatherV2 (an index computed per element, replaced by
 * one copy per gathered slice) and Identity (a copy, replaced by a shared reference).
 * Idempotent; `useBackend('wasm')` calls it.
 * Needs tfjs-backend-wasm loaded (imported) first.
 *
 * @example
 * import '@tensorflow/tfjs-backend-wasm';
 * registerWasmFixes();
 * await tf.setBackend('wasm');
 */
export function registerWasmFixes(): void {
  const stockMatMul = kernel('BatchMatMul');
  const transpose = kernel('Transpose');
  const [sigmoid, multiply, sub, add, relu] = ['Sigmoid', 'Multiply', 'Sub', 'Add', 'Relu'].map(kernel);
  if (
    stockMatMul === undefined ||
    transpose === undefined ||
    sigmoid === undefined ||
    multiply === undefined ||
    sub === undefined ||
    add === undefined ||
    relu === undefined
  ) {
    throw new TrainerError(
      'backend_unavailable',
      "tfjs-backend-wasm is not loaded: import '@tensorflow/tfjs-backend-wasm' first, or call useBackend('wasm')",
    );
  }
  replace('BatchMatMul', (old) => makeBatchMatMul(old!.kernelFunc, transpose.kernelFunc));
  const matMul = kernel('BatchMatMul')!.kernelFunc; // ours: the native GEMM where loaded (native-gemm.ts)
  replace('_FusedMatMul', (old) =>
    makeFusedMatMul(old?.kernelFunc ?? delegateToCpu('_FusedMatMul'), {
      matMul,
      add: add.kernelFunc,
      relu: relu.kernelFunc,
      transpose: transpose.kernelFunc,
    }),
  );
  replace('MaxPoolGrad', () => maxPoolGrad);
  replace('MaxPool3DGrad', () => delegateToCpu('MaxPool3DGrad')); // the same wrong running maximum as MaxPoolGrad
  replace('Conv2DBackpropFilter', () => makeConv2DBackpropFilter(matMul, delegateToCpu('Conv2DBackpropFilter')));
  replace('Conv2DBackpropInput', (old) =>
    makeConv2DBackpropInput(matMul, old?.kernelFunc ?? delegateToCpu('Conv2DBackpropInput')),
  );
  replace('Tanh', (old) =>
    makeTanh(
      { sigmoid: sigmoid.kernelFunc, multiply: multiply.kernelFunc, sub: sub.kernelFunc },
      old?.kernelFunc ?? delegateToCpu('Tanh'),
    ),
  );
  replace('Slice', (old) => makeSlice(old?.kernelFunc ?? delegateToCpu('Slice')));
  replace('GatherV2', (old) => makeGather(old?.kernelFunc ?? delegateToCpu('GatherV2')));
  replace('Identity', (old) => makeIdentity(old?.kernelFunc ?? delegateToCpu('Identity')));
  for (const name of DELEGATED) if (kernel(name) === undefined) replace(name, () => delegateToCpu(name));
}

function kernel(name: string): KernelConfig | undefined {
  return tf.getKernel(name, 'wasm') as KernelConfig | undefined;
}

function replace(kernelName: string, make: (old: KernelConfig | undefined) => KernelFunc): void {
  const old = kernel(kernelName);
  if (old !== undefined && OURS in old.kernelFunc) return;
  const kernelFunc = make(old);
  if (!(OURS in kernelFunc)) Object.defineProperty(kernelFunc, OURS, { value: true });
  if (old !== undefined) tf.unregisterKernel(kernelName, 'wasm');
  const config: KernelConfig = { kernelName, backendName: 'wasm', kernelFunc };
  if (old?.setupFunc !== undefined) config.setupFunc = old.setupFunc;
  if (old?.disposeFunc !== undefined) config.disposeFunc = old.disposeFunc;
  tf.registerKernel(config);
}
