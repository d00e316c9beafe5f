import * as tf from '@tensorflow/tfjs';
import { forwardPass } from './forward.js';
import { perExampleLoss } from './losses.js';
import type { ModelPlan } from './model-plan.js';
import type { LossSpec } from './types.js';
import { materialisedStat, type LayerWeight, type WeightStat } from './rules/weights.js';

/**
 * The universal fallback: per-example gradients of the microbatched layers' weights by one tf.variableGrads per
 * example (Abadi et al. 2016's original method), materialised as [B, ...shape].
 */
export function microbatchStats(
  plan: ModelPlan,
  x: tf.Tensor,
  y: tf.Tensor,
  loss: LossSpec,
): Map<LayerWeight, WeightStat> {
  const weights = plan.microbatchLayers.flatMap((l) => l.trainableWeights as unknown as LayerWeight[]);
  const stats = new Map<LayerWeight, WeightStat>();
  if (weights.length === 0) return stats;
  const vars = weights.map((w) => w.read());
  const perExample: tf.Tensor[][] = weights.map(() => []);
  const b = x.shape[0] ?? 0;
  for (let i = 0; i < b; i += 1) {
    const { value, grads } = tf.variableGrads(() => {
      const out = forwardPass(plan, x.slice(i, 1), null);
      return perExampleLoss(loss, y.slice(i, 1), out, plan.fromLogits).sum() as tf.Scalar;
    }, vars);
    value.dispose();
    vars.forEach((v, j) => perExample[j]?.push(grads[v.name] as tf.Tensor));
  }
  weights.forEach((w, j) => stats.set(w, materialisedStat(tf.stack(perExample[j] as tf.Tensor[]), w.shape)));
  return stats;
}
