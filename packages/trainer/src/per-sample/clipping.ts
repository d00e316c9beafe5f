import * as tf from '@tensorflow/tfjs';
import type { ModelPlan } from './model-plan.js';
import type { Clipping } from './types.js';
import type { LayerWeight } from './rules/weights.js';
import { TrainerError } from './trainer-error.js';

/** Weight indices (model.trainableWeights order) clipped together, with each group's threshold. */
export interface ClipGroups {
  groups: number[][];
  clipNorms: number[];
}

function checkNorm(c: number): void {
  if (!(c > 0) || !Number.isFinite(c))
    throw new TrainerError('invalid_argument', `clip norm must be finite and > 0, got ${c}`);
}

/** Groups of weights per layer: the layers that own trainable weights, in order of their first weight. */
function layerGroups(model: tf.LayersModel, plan: ModelPlan): number[][] {
  const weights = model.trainableWeights as unknown as LayerWeight[];
  const owners = [...plan.nodes.map((n) => n.layer), ...plan.microbatchLayers];
  const groups = new Map<object, number[]>();
  weights.forEach((w, i) => {
    const owner = owners.find((l) => (l.trainableWeights as unknown as LayerWeight[]).includes(w)) ?? w;
    groups.set(owner, [...(groups.get(owner) ?? []), i]);
  });
  return [...groups.values()];
}

/**
 * Resolves flat or per-layer clipping to groups. Per-layer thresholds are one per trainable weight tensor, or one
 * per layer that has trainable weights (McMahan et al. 2018, per-layer clipping).
 * @example clipGroups(model, plan, { kind: 'flat', clipNorm: 1 }) // { groups: [[0, 1, 2, 3]], clipNorms: [1] }
 */
export function clipGroups(model: tf.LayersModel, plan: ModelPlan, clipping: Clipping): ClipGroups {
  const n = model.trainableWeights.length;
  if (clipping.kind === 'flat') {
    checkNorm(clipping.clipNorm);
    return { groups: [Array.from({ length: n }, (_, i) => i)], clipNorms: [clipping.clipNorm] };
  }
  clipping.clipNorms.forEach(checkNorm);
  if (clipping.clipNorms.length === n)
    return { groups: Array.from({ length: n }, (_, i) => [i]), clipNorms: clipping.clipNorms };
  const byLayer = layerGroups(model, plan);
  if (clipping.clipNorms.length === byLayer.length) return { groups: byLayer, clipNorms: clipping.clipNorms };
  throw new TrainerError(
    'bad_input',
    `per_layer clipping needs ${n} clip norms (one per trainable weight) or ` +
      `${byLayer.length} (one per layer with weights), got ${clipping.clipNorms.length}`,
  );
}

/**
 * Per-weight coefficients min(1, C_g / |grad_g|) for each example (Abadi et al. 2016), from per-weight squared norms;
 * `total`, when given, is the norm over all weights (sqrt of addN(sqNorms)), reused by a group of all of them.
 * @example clipCoefficients(sqNorms, { groups: [[0, 1]], clipNorms: [1] }) // one Tensor1D [B] per weight
 */
export function clipCoefficients(sqNorms: tf.Tensor1D[], clip: ClipGroups, total?: tf.Tensor1D): tf.Tensor1D[] {
  const coeffs: tf.Tensor1D[] = new Array<tf.Tensor1D>(sqNorms.length);
  const tiny = tf.scalar(1e-30);
  clip.groups.forEach((group, g) => {
    // `total` is sqrt(addN(sqNorms)): the very tensor a group of every weight in order would compute again
    const all = total !== undefined && group.length === sqNorms.length && group.every((i, j) => i === j);
    const norm = all ? total : tf.addN(group.map((i) => sqNorms[i] as tf.Tensor1D)).sqrt();
    const c = tf
      .scalar(clip.clipNorms[g] as number)
      .div(norm.maximum(tiny))
      .minimum(1) as tf.Tensor1D;
    for (const i of group) coeffs[i] = c;
  });
  return coeffs;
}
