import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { columnPlan, MAX_BLOCK_FLOATS } from './column-plan.js';
import { heapF32, type WasmBackendLike } from './wasm-heap.js';

/**
 * Conv2DBackpropFilter for tfjs-backend-wasm, which lacks it in 4.22: the filter gradient as one matrix product
 * dW[(kh, kw, ci), co] = sum_n cols[(kh, kw, ci), n] * dy[n, co] over n = (b, oh, ow), with the im2col matrix built
 * transposed in JS (Chellapilla et al. 2006, "High performance convolutional neural networks for document
 * processing") so that the product takes XNNPACK's fast path (no transpose flags, batch 1).
 *
 * @example
 * const f = makeConv2DBackpropFilter(tf.getKernel('BatchMatMul', 'wasm').kernelFunc,
 * delegateToCpu('Conv2DBackpropFilter'));
 * tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: f });
 */
export function makeConv2DBackpropFilter(
  batchMatMul: KernelFunc,
  channelsFirst: KernelFunc,
  maxBlockFloats = MAX_BLOCK_FLOATS,
): KernelFunc {
  return (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
    const { inputs, backend, attrs } = args;
    const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (a.dataFormat === 'NCHW') return channelsFirst(args as never);
    const wasm = backend as WasmBackendLike;
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { info, padTop, padLeft, k, n, block } = columnPlan(x.shape, a.filterShape, a, maxBlockFloats);
    const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
    const result = new Float32Array(k * outChannels);
    for (let start = 0; start < n; start += block) {
      const size = Math.min(block, n - start);
      const cols = wasm.makeOutput([1, k, size], 'float32');
      const dyBlock = wasm.makeOutput([1, size, outChannels], 'float32');
      const colsView = heapF32(wasm, cols);
      const xs = heapF32(wasm, x);
      heapF32(wasm, dyBlock).set(heapF32(wasm, dy).subarray(start * outChannels, (start + size) * outChannels));
      for (let j = 0; j < size; j++) {
        const pos = start + j;
        const ow = pos % outWidth;
        const oh = Math.floor(pos / outWidth) % outHeight;
        const b = Math.floor(pos / (outWidth * outHeight));
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh * dilationHeight - padTop;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw * dilationWidth - padLeft;
            const row = (kh * filterWidth + kw) * inChannels;
            const inside = ih >= 0 && ih < inHeight && iw >= 0 && iw < inWidth;
            const src = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            for (let c = 0; c < inChannels; c++) colsView[(row + c) * size + j] = inside ? xs[src + c]! : 0;
          }
        }
      }
      const product = batchMatMul({
        inputs: { a: cols, b: dyBlock },
        backend: backend as never,
        attrs: { transposeA: false, transposeB: false },
      }) as TensorInfo;
      const values = heapF32(wasm, product);
      for (let i = 0; i < result.length; i++) result[i] = result[i]! + values[i]!;
      for (const t of [cols, dyBlock, product]) wasm.disposeData(t.dataId);
    }
    return wasm.makeOutput([...a.filterShape], 'float32', undefined, result);
  };
}
