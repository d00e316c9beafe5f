import * as tf from '@tensorflow/tfjs';
import type { LayerRule } from '../types.js';
import {
  convGeometry,
  filterGradsByDepthwise,
  padSame,
  plainConvLayer,
  rowMajorSqNorms,
  rowMajorWeightedSum,
  samePads,
  type ConvGeometry,
} from './conv-geometry.js';
import { ghostConvStat, ghostIsCheaper } from './conv-ghost.js';
import { biasStat, statsInLayerOrder, weightOf, type LayerWeight, type WeightStat } from './weights.js';

/** Per-example filter gradients materialised by one depthwise convolution, then reduced; `x` not yet padded. */
function depthwiseConvStat(x: tf.Tensor4D, dy: tf.Tensor4D, geo: ConvGeometry, kernelShape: number[]): WeightStat {
  const [b, h, w, cin] = x.shape;
  const cout = dy.shape[3];
  const k = cin * geo.kernel[0] * geo.kernel[1];
  // x as [Cin, H, W, B] and dy as the filter [Ho, Wo, B, Cout]: output channel b * Cout + o.
  const grads = filterGradsByDepthwise(x.transpose([3, 1, 2, 0]), dy.transpose([1, 2, 0, 3]), geo, samePads(h, w, geo));
  return {
    sqNorm: rowMajorSqNorms(grads, k, b),
    sum: (c) =>
      rowMajorWeightedSum(grads, k, c)
        .reshape([cin, geo.kernel[0], geo.kernel[1], cout])
        .transpose([1, 2, 0, 3])
        .reshape(kernelShape),
  };
}

/** Lifts [B, L, C] (Conv1D) to [B, 1, L, C]; a rank-4 tensor is returned as is. */
function lift(x: tf.Tensor): tf.Tensor4D {
  return (x.rank === 3 ? x.expandDims(1) : x) as tf.Tensor4D;
}

/**
 * Conv2D and Conv1D (as a 1-row Conv2D), choosing per layer by cost: ghost norms over im2col patches when the
 * output has few positions, else per-example filter gradients of the whole batch from one depthwise convolution
 * with the batch moved into channels: grad W_i[k, c, o] = sum_p x_i[p s + k d, c] dy_i[p, o]
 * (the prototype in tfjs-notes.md; Rochette et al. 2019 use the same grouped-convolution identity).
 */
export function convRule(rank: 1 | 2): LayerRule {
  return {
    supports: plainConvLayer,
    preActivation(layer, input) {
      const kernel = (weightOf(layer, 'kernel') as LayerWeight).read();
      const geo = convGeometry(layer, rank, kernel.shape);
      const k4 = (rank === 1 ? kernel.expandDims(0) : kernel) as tf.Tensor4D;
      let z: tf.Tensor = tf.conv2d(lift(input), k4, geo.strides, geo.padding, 'NHWC', geo.dilations);
      const bias = weightOf(layer, 'bias');
      if (layer['useBias'] !== false && bias !== null) z = z.add(bias.read());
      return rank === 1 ? z.squeeze([1]) : z;
    },
    perSample(layer, input, gradPre) {
      const kernelW = weightOf(layer, 'kernel') as LayerWeight;
      const geo = convGeometry(layer, rank, kernelW.shape);
      const x = lift(input);
      const dy = lift(gradPre);
      const [, ho, wo, cout] = dy.shape;
      const kernelStat = ghostIsCheaper(ho * wo, geo.kernel[0] * geo.kernel[1] * x.shape[3], cout)
        ? ghostConvStat(padSame(x, geo), dy, geo, kernelW.shape)
        : depthwiseConvStat(x, dy, geo, kernelW.shape);
      const stats = new Map<LayerWeight | null, WeightStat>([[kernelW, kernelStat]]);
      stats.set(weightOf(layer, 'bias'), biasStat(gradPre));
      return statsInLayerOrder(layer, stats);
    },
  };
}
