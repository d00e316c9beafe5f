import * as tf from '@tensorflow/tfjs';
import type { AnyLayer } from '../types.js';

/** A Conv1D/Conv2D/DepthwiseConv2D layer's window, lifted to two spatial dimensions (NHWC). */
export interface ConvGeometry {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  padding: 'valid' | 'same';
}

function pair(v: unknown, rank: number, fallback: number): [number, number] {
  const arr = Array.isArray(v) ? (v as number[]) : v == null ? [] : [v as number];
  const at = (i: number): number => arr[i] ?? arr[0] ?? fallback;
  return rank === 1 ? [1, at(0)] : [at(0), at(1)];
}

/** Reads kernel size, strides, dilation and padding of a tfjs convolution layer of spatial rank 1 or 2. */
export function convGeometry(layer: AnyLayer, rank: 1 | 2, kernelShape: number[]): ConvGeometry {
  const kernel: [number, number] = rank === 1 ? [1, kernelShape[0] ?? 1] : [kernelShape[0] ?? 1, kernelShape[1] ?? 1];
  return {
    kernel,
    strides: pair(layer['strides'], rank, 1),
    dilations: pair(layer['dilationRate'], rank, 1),
    padding: layer['padding'] === 'same' ? 'same' : 'valid',
  };
}

/** Whether a convolution layer is in a form the vectorized rules handle (channels last, no causal padding). */
export function plainConvLayer(layer: AnyLayer): boolean {
  return (layer['dataFormat'] ?? 'channelsLast') === 'channelsLast' && layer['padding'] !== 'causal';
}

/**
 * Pads an NHWC input explicitly as TensorFlow's 'same' does (total = max((out-1) s + (k-1) d + 1 - in, 0), the
 * smaller half before), so a 'valid' correlation sees exactly the forward pass's windows.
 */
export function padSame(x: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  if (g.padding === 'valid') return x;
  const pads = [1, 2].map((axis) => {
    const i = axis - 1;
    const size = x.shape[axis] ?? 0;
    const stride = g.strides[i] ?? 1;
    const eff = ((g.kernel[i] ?? 1) - 1) * (g.dilations[i] ?? 1) + 1;
    const total = Math.max((Math.ceil(size / stride) - 1) * stride + eff - size, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)] as [number, number];
  });
  return tf.pad(x, [[0, 0], pads[0] as [number, number], pads[1] as [number, number], [0, 0]]);
}

/**
 * Per-example filter gradients of a whole batch as one depthwise convolution: channel c of `x` is correlated with
 * filter channel c of `dy`, whose spatial size is the forward output; stride and dilation trade places.
 * Returns [N, kh, kw, C * M] for x [N, H, W, C] and dy [Ho, Wo, C, M]. Rows and columns of `x` that no window
 * reaches are cut first, beyond (k - 1) d + (o - 1) s + 1, so the convolution yields exactly kh x kw positions.
 */
export function filterGradsByDepthwise(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const reach = [0, 1].map((i) => ((g.kernel[i] ?? 1) - 1) * (g.dilations[i] ?? 1) + ((dy.shape[i] ?? 1) - 1) * (g.strides[i] ?? 1) + 1);
  const [h, w] = [Math.min(x.shape[1], reach[0] ?? 0), Math.min(x.shape[2], reach[1] ?? 0)];
  const cut = h === x.shape[1] && w === x.shape[2] ? x : x.slice([0, 0, 0, 0], [x.shape[0], h, w, x.shape[3]]);
  const out = tf.depthwiseConv2d(cut, dy, g.dilations, 'valid', 'NHWC', g.strides);
  if (out.shape[1] === g.kernel[0] && out.shape[2] === g.kernel[1]) return out;
  return out.slice([0, 0, 0, 0], [out.shape[0], g.kernel[0], g.kernel[1], out.shape[3]]);
}

/**
 * Per-example squared norms of gradients laid out as [K, B * C] (rows of K positions, example-major columns):
 * column sums by one ones-vector matMul, since a reduction over non-trailing axes is a slow transpose on wasm.
 */
export function rowMajorSqNorms(grads: tf.Tensor, rows: number, b: number): tf.Tensor1D {
  const cols = tf.ones([1, rows]).matMul(grads.square().reshape([rows, -1]) as tf.Tensor2D);
  return cols.reshape([b, -1]).sum(1);
}
