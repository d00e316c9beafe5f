import * as tf from '@tensorflow/tfjs';
import type { AnyLayer, LayerRule } from '../types.js';
import { materialisedStat, statsInLayerOrder, weightOf, type LayerWeight, type WeightStat } from './weights.js';

function axesOf(layer: AnyLayer, rank: number): number[] {
  const axis = layer['axis'];
  const list = Array.isArray(axis) ? (axis as number[]) : [axis as number];
  return list.map((a) => (a < 0 ? a + rank : a));
}

/** x normalised over the layer's axes: (x - mean) / sqrt(var + eps) (Ba et al. 2016). */
function normalised(layer: AnyLayer, input: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(input, axesOf(layer, input.rank), true);
  return input.sub(mean).mul(variance.add(layer['epsilon'] as number).rsqrt());
}

function broadcastShape(layer: AnyLayer, shape: number[]): number[] {
  const axes = axesOf(layer, shape.length);
  return shape.map((d, i) => (axes.includes(i) ? d : 1));
}

/**
 * LayerNormalization: y = gamma * xhat + beta. Per example, grad gamma = sum over the non-normalised, non-batch
 * positions of g * xhat and grad beta = the same sum of g; both are parameter-sized, so they are materialised.
 */
export function layerNormRule(): LayerRule {
  return {
    supports: (layer) => {
      const axes = axesOf(layer, 0).filter((a) => a >= 0);
      return axes.every((a, i) => i === 0 || a > (axes[i - 1] ?? -1));
    },
    preActivation(layer, input) {
      let z = normalised(layer, input);
      const shape = broadcastShape(layer, input.shape);
      const gamma = layer['scale'] !== false ? weightOf(layer, 'gamma') : null;
      const beta = layer['center'] !== false ? weightOf(layer, 'beta') : null;
      if (gamma !== null) z = z.mul(gamma.read().reshape(shape));
      if (beta !== null) z = z.add(beta.read().reshape(shape));
      return z;
    },
    perSample(layer, input, gradPre) {
      const axes = axesOf(layer, input.rank);
      const reduce = input.shape.map((_, i) => i).filter((i) => i > 0 && !axes.includes(i));
      const perExample = (t: tf.Tensor): tf.Tensor => (reduce.length === 0 ? t : t.sum(reduce));
      const stats = new Map<LayerWeight | null, WeightStat>();
      const gamma = weightOf(layer, 'gamma');
      if (gamma !== null)
        stats.set(gamma, materialisedStat(perExample(gradPre.mul(normalised(layer, input))), gamma.shape));
      const beta = weightOf(layer, 'beta');
      if (beta !== null) stats.set(beta, materialisedStat(perExample(gradPre), beta.shape));
      return statsInLayerOrder(layer, stats);
    },
  };
}
