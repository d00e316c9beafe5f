import * as tf from '@tensorflow/tfjs';
import { forwardPass, probeShapes } from './forward.js';
import { perExampleLoss } from './losses.js';
import { microbatchStats } from './microbatch.js';
import type { ModelPlan } from './model-plan.js';
import type { LossSpec, WeightStat } from './types.js';
import type { LayerWeight } from './rules/weights.js';
import { TrainerError } from './trainer-error.js';

/** Per-example statistics of every trainable weight of a batch, in `model.trainableWeights` order. */
export interface BatchStats {
  weights: WeightStat[];
  lossSum: tf.Scalar;
}

/**
 * One forward and one backward pass to the probes (plus the microbatch loop for layers without a rule). Call inside
 * tf.tidy; `kept` receives the layer inputs kept past the gradient's own scope, for the caller to dispose.
 */
export function batchStats(
  model: tf.LayersModel,
  plan: ModelPlan,
  x: tf.Tensor,
  y: tf.Tensor,
  loss: LossSpec,
  kept: tf.Tensor[],
): BatchStats {
  const b = x.shape[0] ?? 0;
  // tf.fill runs the backend's Fill kernel; tf.zeros builds the zeros in JS and copies them over (slow on wasm).
  const probes = probeShapes(plan, x.shape).map((s) => tf.fill([b, ...s.slice(1)], 0));
  const inputs: tf.Tensor[] = [];
  const lossOf = (...p: tf.Tensor[]): tf.Scalar => {
    // Cloned inside the taped function, so every input reported below is ours to keep and dispose.
    const out = forwardPass(plan, x.clone(), {
      probes: p,
      onInput: (k, a) => {
        inputs[k] = a;
        if (!a.kept) kept.push(tf.keep(a));
      },
    });
    return perExampleLoss(loss, y, out, plan.fromLogits).sum() as tf.Scalar;
  };
  let lossSum: tf.Scalar;
  let grads: tf.Tensor[] = [];
  if (probes.length === 0) {
    lossSum = lossOf();
  } else {
    const r = tf.valueAndGrads(lossOf)(probes);
    lossSum = r.value as tf.Scalar;
    grads = r.grads;
  }
  const byWeight = new Map<LayerWeight, WeightStat>(microbatchStats(plan, x, y, loss));
  let k = 0;
  for (const node of plan.nodes) {
    if (node.mode !== 'vectorized' || node.rule === null) continue;
    const s = node.rule.perSample(node.layer, inputs[k] as tf.Tensor, grads[k] as tf.Tensor);
    (node.layer.trainableWeights as unknown as LayerWeight[]).forEach((w, i) => byWeight.set(w, s[i] as WeightStat));
    k += 1;
  }
  const weights = (model.trainableWeights as unknown as LayerWeight[]).map((w) => {
    const stat = byWeight.get(w);
    if (stat === undefined)
      throw new TrainerError('unsupported_layer', `trainable weight ${w.name} is not reached by the model graph`);
    return stat;
  });
  return { weights, lossSum };
}
