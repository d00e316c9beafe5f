import type * as tf from '@tensorflow/tfjs';
import { TrainerError } from '../trainer-error.js';
import type { AnyLayer, WeightStat } from '../types.js';

export type { WeightStat };

/** A layer weight as tfjs-layers stores it (a LayerVariable). */
export interface LayerWeight {
  read(): tf.Variable;
  readonly shape: number[];
  readonly name: string;
}

/** The layer's weight stored in field `field`, or null when absent. */
export function weightOf(layer: AnyLayer, field: string): LayerWeight | null {
  return (layer[field] as LayerWeight | null | undefined) ?? null;
}

/** Packs per-weight statistics, keyed by the layer's own weight objects, into `layer.trainableWeights` order. */
export function statsInLayerOrder(layer: AnyLayer, byWeight: Map<LayerWeight | null, WeightStat>): WeightStat[] {
  return layer.trainableWeights.map((w) => {
    const stat = byWeight.get(w as unknown as LayerWeight);
    if (stat === undefined)
      throw new TrainerError('unsupported_layer', `no per-sample rule output for weight ${w.name}`);
    return stat;
  });
}

/** Statistics of a weight whose per-example gradients are materialised as [B, ...shape]. */
export function materialisedStat(perExample: tf.Tensor, shape: number[]): WeightStat {
  const b = perExample.shape[0] ?? 0;
  const flat = perExample.reshape([b, -1]);
  return {
    sqNorm: flat.square().sum(1) as tf.Tensor1D,
    sum: (c) => c.reshape([1, b]).matMul(flat).reshape(shape),
  };
}

/** Bias statistics from dL/dz ([B, ..., units]): the per-example bias gradient sums every non-channel position. */
export function biasStat(gradPre: tf.Tensor): WeightStat {
  const b = gradPre.shape[0] ?? 0;
  const units = gradPre.shape[gradPre.rank - 1] ?? 0;
  return materialisedStat(gradPre.reshape([b, -1, units]).sum(1), [units]);
}
