import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { columnPlan, MAX_BLOCK_FLOATS } from './column-plan.js';
import { heapF32, type WasmBackendLike } from './wasm-heap.js';

/**
 * Conv2DBackpropInput for tfjs-backend-wasm, whose 4.22 kernel is a scalar loop (about 1 GMAC/s): the input gradient
 * as one matrix product cols[n, (kh, kw, ci)] = sum_co dy[n, co] W[(kh, kw, ci), co] over n = (b, oh, ow) on
 * XNNPACK's fast path, then col2im adds each column into the input position it came from
 * (dX = col2im(dY W^T): Chellapilla et al. 2006; Jia et al. 2014, Caffe's deconvolution). Exact up to float32
 * summation order; channels-first input goes to `channelsFirst`.
 *
 * @example
 * const f = makeConv2DBackpropInput(tf.getKernel('BatchMatMul', 'wasm').kernelFunc, stockConv2DBackpropInput);
 * tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: f });
 */
export function makeConv2DBackpropInput(
  batchMatMul: KernelFunc,
  channelsFirst: KernelFunc,
  maxBlockFloats = MAX_BLOCK_FLOATS,
): KernelFunc {
  return (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
    const { inputs, backend, attrs } = args;
    const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (a.dataFormat === 'NCHW') return channelsFirst(args as never);
    const wasm = backend as WasmBackendLike;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { info, padTop, padLeft, k, n, block } = columnPlan(a.inputShape, filter.shape, a, maxBlockFloats);
    const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
    // W^T as [1, Cout, K], so the product takes no transpose flag.
    const wT = wasm.makeOutput([1, outChannels, k], 'float32');
    const dx = wasm.makeOutput([...a.inputShape], 'float32');
    {
      const w = heapF32(wasm, filter);
      const t = heapF32(wasm, wT);
      for (let r = 0; r < k; r++) for (let co = 0; co < outChannels; co++) t[co * k + r] = w[r * outChannels + co]!;
      heapF32(wasm, dx).fill(0);
    }
    for (let start = 0; start < n; start += block) {
      const size = Math.min(block, n - start);
      // One block reads dy in place (a view of its data with a 3-D shape); several get copies.
      const whole = size === n;
      const dyBlock = whole
        ? { ...dy, shape: [1, n, outChannels] }
        : wasm.makeOutput([1, size, outChannels], 'float32');
      if (!whole)
        heapF32(wasm, dyBlock).set(heapF32(wasm, dy).subarray(start * outChannels, (start + size) * outChannels));
      const cols = batchMatMul({
        inputs: { a: dyBlock, b: wT },
        backend: backend as never,
        attrs: { transposeA: false, transposeB: false },
      }) as TensorInfo;
      const src = heapF32(wasm, cols);
      const out = heapF32(wasm, dx);
      for (let j = 0; j < size; j++) {
        const pos = start + j;
        const ow = pos % outWidth;
        const oh = Math.floor(pos / outWidth) % outHeight;
        const b = Math.floor(pos / (outWidth * outHeight));
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh - padTop;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw - padLeft;
            if (iw < 0 || iw >= inWidth) continue;
            const to = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const from = j * k + (kh * filterWidth + kw) * inChannels;
            for (let c = 0; c < inChannels; c++) out[to + c] = out[to + c]! + src[from + c]!;
          }
        }
      }
      if (!whole) wasm.disposeData(dyBlock.dataId);
      wasm.disposeData(cols.dataId);
    }
    wasm.disposeData(wT.dataId);
    return dx;
  };
}
