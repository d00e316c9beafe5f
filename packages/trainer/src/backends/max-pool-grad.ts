import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { heapF32, type WasmBackendLike } from './wasm-heap.js';

/**
 * MaxPoolGrad for tfjs-backend-wasm, whose 4.22 kernel starts its running maximum at the smallest positive float
 * and so passes no gradient through a window whose maximum is <= 0 (common after tanh). Each output's gradient goes
 * to the first maximum of its window in row-major order, as on the cpu backend; padding never wins.
 *
 * @example
 * tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad });
 */
export const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }: {
  inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap;
}) => {
  const wasm = backend as WasmBackendLike;
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const a = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const dx = wasm.makeOutput([...input.shape], 'float32');
  const out = heapF32(wasm, dx);
  const xs = heapF32(wasm, input);
  const grads = heapF32(wasm, dy);
  out.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - info.padInfo.top;
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * strideWidth - info.padInfo.left;
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * channels;
        for (let c = 0; c < channels; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let h = Math.max(0, h0); h < Math.min(inHeight, h0 + filterHeight); h++) {
            for (let w = Math.max(0, w0); w < Math.min(inWidth, w0 + filterWidth); w++) {
              const i = ((b * inHeight + h) * inWidth + w) * channels + c;
              if (xs[i]! > best) {
                best = xs[i]!;
                at = i;
              }
            }
          }
          if (at >= 0) out[at] = out[at]! + grads[dyBase + c]!;
        }
      }
    }
  }
  return dx;
};
