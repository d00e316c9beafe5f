import * as tf from '@tensorflow/tfjs';
import type { WeightStat } from '../types.js';
import type { ConvGeometry } from './conv-geometry.js';
import { matMulBT } from './dense.js';

/**
 * im2col as one depthwise convolution with one-hot filters: [B, P, Cin * kh * kw], the patch axis ordered
 * (c, i, j). Strided slices or gathers are far slower on wasm (tfjs-notes.md).
 */
export function patches(x: tf.Tensor4D, g: ConvGeometry): tf.Tensor3D {
  const [kh, kw] = g.kernel;
  const cin = x.shape[3];
  const oneHot = tf
    .eye(kh * kw)
    .reshape([kh, kw, 1, kh * kw])
    .mul(tf.ones([1, 1, cin, 1])) as tf.Tensor4D;
  const u = tf.depthwiseConv2d(x, oneHot, g.strides, 'valid', 'NHWC', g.dilations);
  return u.reshape([u.shape[0], u.shape[1] * u.shape[2], cin * kh * kw]);
}

/**
 * Whether ghost norms pay: their P^2 (K + Cout) multiply-adds per example (Li et al. 2022) must undercut the
 * P K Cout of per-example filter gradients by 4x, since batches of small matMuls run several times slower per
 * flop than one depthwise convolution on wasm (measured on conv2 of the tanh CNN: 130 ms against 53 ms).
 */
export function ghostIsCheaper(positions: number, k: number, cout: number): boolean {
  return 4 * positions * (k + cout) < k * cout;
}

/**
 * Conv filter statistics without per-example gradients: |sum_p u_p g_p^T|^2 = sum_{p,q} (u_p . u_q)(g_p . g_q)
 * (ghost norm: Li et al. 2022; Bu et al. 2022) and the clipped sum U^T diag(c) G as one matMul.
 */
export function ghostConvStat(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry, kernelShape: number[]): WeightStat {
  const [b, ho, wo, cout] = dy.shape;
  const u = patches(x, g);
  const k = u.shape[2];
  const gp = dy.reshape([b, ho * wo, cout]) as tf.Tensor3D;
  const [kh, kw] = g.kernel;
  return {
    sqNorm: matMulBT(u, u).mul(matMulBT(gp, gp)).sum([1, 2]) as tf.Tensor1D,
    sum: (c) =>
      tf
        .matMul(u.reshape([b * ho * wo, k]), gp.mul(c.reshape([b, 1, 1])).reshape([b * ho * wo, cout]), true)
        .reshape([k / (kh * kw), kh, kw, cout])
        .transpose([1, 2, 0, 3])
        .reshape(kernelShape),
  };
}
