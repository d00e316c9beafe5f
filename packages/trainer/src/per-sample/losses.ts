import * as tf from '@tensorflow/tfjs';
import type { LossSpec } from './types.js';
import { TrainerError } from './trainer-error.js';

/** Keras' probability clip for cross-entropies on probabilities (tfjs-layers `epsilon()`). */
const EPS = 1e-7;

/** Means a per-position loss over every non-batch axis, giving one value per example. */
function perExampleMean(t: tf.Tensor): tf.Tensor1D {
  return (t.rank <= 1 ? t : t.reshape([t.shape[0] ?? 0, -1]).mean(1)) as tf.Tensor1D;
}

/** Sparse labels ([B] or [B, 1], any dtype) as one-hot over `classes`, float32. */
/** t as float32 (a float32 tensor as it is: a Cast would copy it, and its gradient is one more op). */
const asFloat = (t: tf.Tensor): tf.Tensor => (t.dtype === 'float32' ? t : t.toFloat());

function oneHotLabels(yTrue: tf.Tensor, classes: number): tf.Tensor {
  const flat = yTrue.reshape([-1]).toInt();
  return tf.oneHot(flat as tf.Tensor1D, classes).toFloat();
}

/**
 * One loss value per example, from predictions that are logits (`fromLogits`) or probabilities.
 * @example perExampleLoss('meanSquaredError', y, yPred, false) // Tensor1D of length B
 */
export function perExampleLoss(loss: LossSpec, yTrue: tf.Tensor, yPred: tf.Tensor, fromLogits: boolean): tf.Tensor1D {
  if (typeof loss === 'object') {
    const out = loss.perExample(yTrue, yPred);
    if (out.rank !== 1 || out.shape[0] !== yPred.shape[0]) {
      throw new TrainerError('bad_input', `perExample loss must return shape [${yPred.shape[0]}], got [${out.shape}]`);
    }
    return out;
  }
  switch (loss) {
    case 'categoricalCrossentropy':
      return crossEntropy(asFloat(yTrue), yPred, fromLogits);
    case 'sparseCategoricalCrossentropy':
      return crossEntropy(oneHotLabels(yTrue, yPred.shape[yPred.rank - 1] ?? 0), yPred, fromLogits);
    case 'binaryCrossentropy': {
      const y = asFloat(yTrue).reshape(yPred.shape);
      // log(1 + e^z) - y z, written stably as max(z, 0) - z y + log(1 + e^-|z|) (TF sigmoid_cross_entropy_with_logits).
      const elem = fromLogits
        ? yPred.relu().sub(yPred.mul(y)).add(yPred.abs().neg().exp().log1p())
        : bceOnProbabilities(y, yPred);
      return perExampleMean(elem);
    }
    case 'meanSquaredError':
      return perExampleMean(yPred.squaredDifference(asFloat(yTrue).reshape(yPred.shape)));
    default:
      throw new TrainerError('bad_input', `unknown loss ${String(loss)}`);
  }
}

/** -sum y log softmax(z), or Keras' form on probabilities: p / sum p, clipped to [eps, 1 - eps]. */
function crossEntropy(y: tf.Tensor, yPred: tf.Tensor, fromLogits: boolean): tf.Tensor1D {
  const logP = fromLogits
    ? tf.logSoftmax(yPred)
    : yPred
        .div(yPred.sum(-1, true))
        .clipByValue(EPS, 1 - EPS)
        .log();
  return perExampleMean(y.mul(logP).sum(-1).neg());
}

/** -(y log p + (1 - y) log(1 - p)) with p clipped to [eps, 1 - eps] as Keras does. */
function bceOnProbabilities(y: tf.Tensor, p: tf.Tensor): tf.Tensor {
  const pc = p.clipByValue(EPS, 1 - EPS);
  return y
    .mul(pc.log())
    .add(tf.scalar(1).sub(y).mul(tf.scalar(1).sub(pc).log()))
    .neg();
}

/** Whether a named loss can take the logits of a final softmax (`softmax`) or sigmoid (`sigmoid`) directly. */
export function fusesWith(loss: LossSpec, activation: string): boolean {
  if (activation === 'softmax') return loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy';
  if (activation === 'sigmoid') return loss === 'binaryCrossentropy';
  return false;
}
