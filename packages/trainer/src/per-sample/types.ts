import type * as tf from '@tensorflow/tfjs';

/** A loss by name (Keras semantics, one value per example) or a function returning one loss per example. */
export type LossSpec =
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy'
  | 'binaryCrossentropy'
  | 'meanSquaredError'
  | { perExample: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor1D };

/**
 * `fromLogits` unset: a model whose output layer ends in softmax/sigmoid is read as probabilities, any other
 * output as logits (cross-entropies only).
 */
export interface LossOptions {
  loss: LossSpec;
  fromLogits?: boolean;
}

/** Flat: one threshold over all weights. Per-layer: one per trainable weight tensor, or one per layer with weights. */
export type Clipping = { kind: 'flat'; clipNorm: number } | { kind: 'per_layer'; clipNorms: number[] };

/** A tfjs layer as the per-sample machinery sees it (internal fields included). */
export type AnyLayer = tf.layers.Layer & Record<string, unknown>;

/** Per-example gradient statistics of one weight tensor. */
export interface WeightStat {
  /** Per-example squared L2 norm of the weight's gradient, shape [B]. */
  sqNorm: tf.Tensor1D;
  /** Sum over examples of the weight's gradient, example i scaled by coeff[i]. */
  sum(coeff: tf.Tensor1D): tf.Tensor;
}

/**
 * How one layer class gets per-example gradients. The trainer adds a zero probe to `preActivation`'s result;
 * with a SUM-reduced loss, dL/dprobe is each example's own backprop (Goodfellow 2015).
 */
export interface LayerRule {
  /** Whether this layer instance's configuration is handled (default: yes); if not, it is microbatched. */
  supports?(layer: AnyLayer): boolean;
  /** The layer's output before its activation, recomputed from its weights (tfjs fuses bias and activation). */
  preActivation(layer: AnyLayer, input: tf.Tensor): tf.Tensor;
  /** Per-example statistics from the layer input and dL/d(pre-activation), in `layer.trainableWeights` order. */
  perSample(layer: AnyLayer, input: tf.Tensor, gradPre: tf.Tensor): WeightStat[];
}

/**
 * Rules by tfjs class name (`layer.getClassName()`): `vectorized` rules, `passThrough` classes without weights,
 * `refused` classes (with the error code to throw). Anything else with trainable weights is microbatched.
 */
export interface LayerRuleRegistry {
  readonly vectorized: ReadonlyMap<string, LayerRule>;
  readonly refused: ReadonlyMap<string, string>;
}
