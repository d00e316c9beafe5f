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

/** Rows and columns (before, after) that TensorFlow's 'same' adds to an H x W input; zeros for 'valid'. */
export type SpatialPads = [[number, number], [number, number]];

/**
 * TensorFlow's 'same' padding of an H x W input: total = max((out-1) s + (k-1) d + 1 - in, 0) per axis, the
 * smaller half before (TensorFlow's conv_ops padding rule); zeros for 'valid'.
 */
export function samePads(height: number, width: number, g: ConvGeometry): SpatialPads {
  const pad = (size: number, i: 0 | 1): [number, number] => {
    if (g.padding === 'valid') return [0, 0];
    const stride = g.strides[i] ?? 1;
    const eff = ((g.kernel[i] ?? 1) - 1) * (g.dilations[i] ?? 1) + 1;
    const total = Math.max((Math.ceil(size / stride) - 1) * stride + eff - size, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  return [pad(height, 0), pad(width, 1)];
}

/** Pads an NHWC input explicitly as 'same' does, so a 'valid' correlation sees exactly the forward pass's windows. */
export function padSame(x: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  if (g.padding === 'valid') return x;
  const [ph, pw] = samePads(x.shape[1], x.shape[2], g);
  return tf.pad(x, [[0, 0], ph, pw, [0, 0]]);
}

/**
 * Per-example filter gradients of a whole batch as one depthwise convolution: channel c of `x` is correlated with
 * filter channel c of `dy`, whose spatial size is the forward output; stride and dilation trade places.
 * Returns [N, kh, kw, C * M] for x [N, H, W, C] (before its `pads`) and dy [Ho, Wo, C, M]. The padding goes to the
 * convolution itself (no padded copy of x), and rows and columns that no window reaches, beyond
 * (k - 1) d + (o - 1) s + 1, are left out, so the convolution yields exactly kh x kw positions.
 */
export function filterGradsByDepthwise(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  g: ConvGeometry,
  pads: SpatialPads = [
    [0, 0],
    [0, 0],
  ],
): tf.Tensor4D {
  const fit = [0, 1].map((i) => {
    const reach = ((g.kernel[i] ?? 1) - 1) * (g.dilations[i] ?? 1) + ((dy.shape[i] ?? 1) - 1) * (g.strides[i] ?? 1) + 1;
    const [before, after] = pads[i] as [number, number];
    const size = x.shape[i + 1] ?? 0;
    return { before, after: Math.max(0, Math.min(after, reach - before - size)), keep: Math.min(size, reach - before) };
  }) as [{ before: number; after: number; keep: number }, { before: number; after: number; keep: number }];
  const [h, w] = fit;
  const cut =
    h.keep === x.shape[1] && w.keep === x.shape[2]
      ? x
      : x.slice([0, 0, 0, 0], [x.shape[0], h.keep, w.keep, x.shape[3]]);
  const explicit = h.before + h.after + w.before + w.after > 0;
  const out = tf.depthwiseConv2d(
    cut,
    dy,
    g.dilations,
    explicit
      ? [
          [0, 0],
          [h.before, h.after],
          [w.before, w.after],
          [0, 0],
        ]
      : 'valid',
    'NHWC',
    g.strides,
  );
  if (out.shape[1] === g.kernel[0] && out.shape[2] === g.kernel[1]) return out;
  return out.slice([0, 0, 0, 0], [out.shape[0], g.kernel[0], g.kernel[1], out.shape[3]]);
}

/**
 * Per-example squared norms of gradients laid out as [K, B * C] (rows of K positions, example-major columns): each
 * example's C squares summed first over the innermost axis, then the K rows by one ones-vector matMul over a [K, B]
 * matrix, since a reduction over non-trailing axes is a slow transpose on wasm.
 */
export function rowMajorSqNorms(grads: tf.Tensor, rows: number, b: number): tf.Tensor1D {
  const perExample = grads.square().reshape([rows, b, -1]).sum(2) as tf.Tensor2D;
  return tf.ones([1, rows]).matMul(perExample).reshape([b]);
}

/**
 * Sum over examples of per-example gradients laid out as [K, B, C], example b scaled by c[b]: one batched matMul
 * [1, B] x [B, C] per row k, so no product of the full [K, B, C] tensor is materialised. Returns [K, 1, C].
 */
export function rowMajorWeightedSum(grads: tf.Tensor, rows: number, c: tf.Tensor1D): tf.Tensor3D {
  const b = c.shape[0];
  return tf.matMul(c.reshape([1, 1, b]) as tf.Tensor3D, grads.reshape([rows, b, -1]) as tf.Tensor3D);
}
