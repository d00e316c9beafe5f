import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { maxPoolGrad2x2On } from './simd/max-pool-grad-2x2.js';
import { heapF32, type WasmBackendLike } from './wasm-heap.js';

/** The Emscripten module behind tfjs-backend-wasm's backend, as far as the SIMD kernel needs it. */
type WithMemory = { wasm?: { asm?: { memory?: WebAssembly.Memory } } };

/**
 * MaxPoolGrad for tfjs-backend-wasm, whose 4.22 kernel starts its running maximum at the smallest positive float
 * and so passes no gradient through a window whose maximum is <= 0 (common after tanh). Each output's gradient goes
 * to the first maximum of its window in row-major order, as on the cpu backend; padding never wins. A 2x2 window
 * without padding over a multiple of 4 channels (the tanh CNN's pools) runs as WebAssembly SIMD on the heap
 * (simd/max-pool-grad-2x2.wat, the same comparisons and additions in the same order: the same bits, about 8x faster).
 *
 * @example
 * tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad });
 */
export const maxPoolGrad: KernelFunc = ({
  inputs,
  backend,
  attrs,
}: {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}) => {
  const wasm = backend as WasmBackendLike;
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const a = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const dx = wasm.makeOutput([...input.shape], 'float32');
  const out = heapF32(wasm, dx);
  const xs = heapF32(wasm, input);
  const grads = heapF32(wasm, dy);
  out.fill(0);
  const pad = info.padInfo;
  const simd =
    filterHeight === 2 &&
    filterWidth === 2 &&
    channels % 4 === 0 &&
    pad.top === 0 &&
    pad.left === 0 &&
    (outHeight - 1) * strideHeight + 2 <= inHeight &&
    (outWidth - 1) * strideWidth + 2 <= inWidth &&
    dy.dtype === 'float32' &&
    input.dtype === 'float32'
      ? maxPoolGrad2x2On((backend as WithMemory).wasm?.asm?.memory)
      : null;
  if (simd !== null) {
    simd(
      xs.byteOffset,
      grads.byteOffset,
      out.byteOffset,
      batchSize,
      inHeight,
      inWidth,
      channels,
      outHeight,
      outWidth,
      strideHeight,
      strideWidth,
    );
    return dx;
  }
  const pos = new Int32Array(filterHeight * filterWidth); // the window's positions inside the input, row-major
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - info.padInfo.top;
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * strideWidth - info.padInfo.left;
        let cells = 0;
        for (let h = Math.max(0, h0); h < Math.min(inHeight, h0 + filterHeight); h++) {
          for (let w = Math.max(0, w0); w < Math.min(inWidth, w0 + filterWidth); w++)
            pos[cells++] = ((b * inHeight + h) * inWidth + w) * channels;
        }
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * channels;
        if (cells === 4 && filterHeight === 2 && filterWidth === 2) {
          // The common 2x2 window, unrolled: the same strict comparisons in the same row-major order.
          const p0 = pos[0]!;
          const p1 = pos[1]!;
          const p2 = pos[2]!;
          const p3 = pos[3]!;
          for (let c = 0; c < channels; c++) {
            let best = xs[p0 + c]!;
            let at = best > Number.NEGATIVE_INFINITY ? p0 + c : -1;
            if (at < 0) best = Number.NEGATIVE_INFINITY;
            let v = xs[p1 + c]!;
            if (v > best) {
              best = v;
              at = p1 + c;
            }
            v = xs[p2 + c]!;
            if (v > best) {
              best = v;
              at = p2 + c;
            }
            v = xs[p3 + c]!;
            if (v > best) at = p3 + c;
            if (at >= 0) out[at] = out[at]! + grads[dyBase + c]!;
          }
          continue;
        }
        for (let c = 0; c < channels; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let k = 0; k < cells; k++) {
            const i = pos[k]! + c;
            const v = xs[i]!;
            if (v > best) {
              best = v;
              at = i;
            }
          }
          if (at >= 0) out[at] = out[at]! + grads[dyBase + c]!;
        }
      }
    }
  }
  return dx;
};
