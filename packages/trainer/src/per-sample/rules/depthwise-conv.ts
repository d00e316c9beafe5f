import * as tf from '@tensorflow/tfjs';
import type { LayerRule } from '../types.js';
import {
  convGeometry,
  filterGradsByDepthwise,
  plainConvLayer,
  rowMajorSqNorms,
  rowMajorWeightedSum,
  samePads,
} from './conv-geometry.js';
import { biasStat, statsInLayerOrder, weightOf, type LayerWeight, type WeightStat } from './weights.js';

/**
 * DepthwiseConv2D: per-example kernel gradients of the batch as one depthwise convolution over B * Cin channels
 * (x as [1, H, W, B Cin], dy as the filter [Ho, Wo, B Cin, M]). tfjs-layers ignores dilation for this layer.
 */
export function depthwiseConvRule(): LayerRule {
  return {
    supports: plainConvLayer,
    preActivation(layer, input) {
      const kernel = (weightOf(layer, 'depthwiseKernel') as LayerWeight).read() as tf.Tensor4D;
      const geo = { ...convGeometry(layer, 2, kernel.shape), dilations: [1, 1] as [number, number] };
      let z: tf.Tensor = tf.depthwiseConv2d(input as tf.Tensor4D, kernel, geo.strides, geo.padding, 'NHWC');
      const bias = weightOf(layer, 'bias');
      if (layer['useBias'] !== false && bias !== null) z = z.add(bias.read());
      return z;
    },
    perSample(layer, input, gradPre) {
      const kernelW = weightOf(layer, 'depthwiseKernel') as LayerWeight;
      const [kh, kw, cin, mult] = kernelW.shape as [number, number, number, number];
      const geo = { ...convGeometry(layer, 2, kernelW.shape), dilations: [1, 1] as [number, number] };
      const x = input as tf.Tensor4D;
      const [b, h, w] = x.shape;
      const [, ho, wo] = gradPre.shape as [number, number, number, number];
      const xs = x.transpose([1, 2, 0, 3]).reshape([1, h, w, b * cin]) as tf.Tensor4D;
      const dy = gradPre.transpose([1, 2, 0, 3]).reshape([ho, wo, b * cin, mult]) as tf.Tensor4D;
      const grads = filterGradsByDepthwise(xs, dy, geo, samePads(h, w, geo)).reshape([kh, kw, b, cin, mult]);
      const kernelStat: WeightStat = {
        sqNorm: rowMajorSqNorms(grads, kh * kw, b),
        sum: (c) => rowMajorWeightedSum(grads, kh * kw, c).reshape([kh, kw, cin, mult]),
      };
      const stats = new Map<LayerWeight | null, WeightStat>([[kernelW, kernelStat]]);
      stats.set(weightOf(layer, 'bias'), biasStat(gradPre));
      return statsInLayerOrder(layer, stats);
    },
  };
}
