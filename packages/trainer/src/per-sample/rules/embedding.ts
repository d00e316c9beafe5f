import * as tf from '@tensorflow/tfjs';
import type { LayerRule } from '../types.js';
import { matMulBT } from './dense.js';
import { statsInLayerOrder, weightOf, type LayerWeight, type WeightStat } from './weights.js';

/**
 * Embedding: row v of example i's gradient is the sum of g_t over its positions t with index v, so
 * |grad_i|^2 = sum_{t,s} [idx_t = idx_s] (g_t . g_s) (ghost norm, Li et al. 2022) and the clipped sum scatters
 * c_i g_t into the rows (duplicates accumulate).
 */
export function embeddingRule(): LayerRule {
  return {
    preActivation(layer, input) {
      const table = (weightOf(layer, 'embeddings') as LayerWeight).read();
      const rows = tf.gather(table, input.toInt().reshape([-1]));
      return rows.reshape([...input.shape, table.shape[1] ?? 0]);
    },
    perSample(layer, input, gradPre) {
      const tableW = weightOf(layer, 'embeddings') as LayerWeight;
      const [vocab, dim] = tableW.shape as [number, number];
      const b = input.shape[0] ?? 0;
      const t = b === 0 ? 1 : input.size / b;
      const idx = input.toInt().reshape([b, t]);
      const g = gradPre.reshape([b, t, dim]) as tf.Tensor3D;
      const same = idx.expandDims(2).equal(idx.expandDims(1)).toFloat();
      const stat: WeightStat = {
        sqNorm: (t === 1 ? g.square().sum([1, 2]) : same.mul(matMulBT(g, g)).sum([1, 2])) as tf.Tensor1D,
        sum: (c) =>
          tf.scatterND(idx.reshape([b * t, 1]), g.mul(c.reshape([b, 1, 1])).reshape([b * t, dim]), [vocab, dim]),
      };
      return statsInLayerOrder(layer, new Map<LayerWeight | null, WeightStat>([[tableW, stat]]));
    },
  };
}
