/**
 * An opt-in, differentially private estimate of the training loss, for a loss curve that may leave the machine.
 *
 * Every `every` steps the trainer draws a FRESH Poisson batch (rate q, independent of the step's batch), clips each
 * example's loss to [0, clip], sums, adds N(0, (noiseMultiplier * clip)^2) and divides by the expected batch size.
 * Adding or removing one record moves the clipped sum by at most `clip`, so the release is the subsampled Gaussian
 * mechanism poisson_sampled(q, gaussian(noiseMultiplier)) (Mironov, Talwar & Zhang 2019), logged in the trainer's
 * ledger BEFORE the figure is computed, like any step. Being a separate Poisson draw, it composes with the steps
 * as one more event; the epsilon the trainer reports includes it.
 */
import * as tf from '@tensorflow/tfjs';
import type { DpEvent } from '@dpledger/accounting';
import { fail } from './fail.js';
import { fillGaussian } from './gaussian-noise.js';
import type { RandomSource } from './random-source.js';
import { perExampleLoss, type LossSpec } from '../per-sample/index.js';

/** `fit(..., { noisyLoss })`: release a noised loss estimate every `every` steps. */
export interface NoisyLossOptions {
  /** Steps between two estimates (an estimate follows steps every, 2 every, ...). */
  every: number;
  /** Gaussian noise multiplier of the estimate (std = noiseMultiplier * clip on the clipped loss sum). */
  noiseMultiplier: number;
  /** Each example's loss is clipped to [0, clip] (the sensitivity of the sum). */
  clip: number;
}

/** One released estimate. */
export interface NoisyLoss {
  /** Steps applied when it was taken. */
  step: number;
  /** Estimated mean loss: (sum of clipped losses + Gaussian noise) / expected batch size. */
  loss: number;
}

/**
 * Checks the options; the estimate is offered with Poisson sampling only (its event claims Poisson amplification).
 * @example checkNoisyLoss({ every: 10, noiseMultiplier: 2, clip: 5 }, 'poisson')
 */
export function checkNoisyLoss(o: NoisyLossOptions, sampler: string): NoisyLossOptions {
  if (sampler !== 'poisson')
    fail('invalid_argument', 'noisyLoss draws its own Poisson batch and is offered with the poisson sampler only');
  if (!(Number.isInteger(o.every) && o.every >= 1)) fail('invalid_argument', 'noisyLoss.every must be an integer >= 1');
  if (!(Number.isFinite(o.noiseMultiplier) && o.noiseMultiplier > 0))
    fail('invalid_argument', 'noisyLoss.noiseMultiplier must be a finite number > 0');
  if (!(Number.isFinite(o.clip) && o.clip > 0)) fail('invalid_argument', 'noisyLoss.clip must be a finite number > 0');
  return o;
}

/**
 * The event one estimate is logged as: a Gaussian on a Poisson batch of rate q (sensitivity `clip`).
 * @example noisyLossEvent(0.01, 2) // poisson_sampled(0.01, gaussian(2))
 */
export function noisyLossEvent(samplingProbability: number, noiseMultiplier: number): DpEvent {
  return {
    kind: 'poisson_sampled',
    sampling_probability: samplingProbability,
    event: { kind: 'gaussian', noise_multiplier: noiseMultiplier },
  };
}

/**
 * Whether the model's output is read as logits: as the per-sample planner decides, from the last layer's activation.
 * @example outputsLogits(model, undefined) // false when the last layer ends in softmax
 */
export function outputsLogits(model: tf.LayersModel, fromLogits: boolean | undefined): boolean {
  if (fromLogits !== undefined) return fromLogits;
  const act = (
    model.layers.at(-1) as unknown as { activation?: { getClassName?: () => string } } | undefined
  )?.activation?.getClassName?.();
  return !(act === 'softmax' || act === 'sigmoid');
}

/**
 * The noised estimate on the batch `idx` of (xs, ys). Call only after its event was authorized.
 * @example
 * await noisyLossEstimate({
 *   model, loss: 'categoricalCrossentropy', xs, ys, idx, clip: 5, noiseMultiplier: 2, expectedBatchSize: 64, rng,
 * })
 */
export async function noisyLossEstimate(a: {
  model: tf.LayersModel;
  loss: LossSpec;
  fromLogits?: boolean;
  xs: tf.Tensor;
  ys: tf.Tensor;
  idx: Int32Array;
  clip: number;
  noiseMultiplier: number;
  expectedBatchSize: number;
  rng: RandomSource;
}): Promise<number> {
  let clippedSum = 0;
  if (a.idx.length > 0) {
    const sum = tf.tidy(() => {
      const part = tf.tensor1d(a.idx, 'int32');
      const pred = a.model.predict(tf.gather(a.xs, part)) as tf.Tensor;
      return perExampleLoss(a.loss, tf.gather(a.ys, part), pred, outputsLogits(a.model, a.fromLogits))
        .clipByValue(0, a.clip)
        .sum();
    });
    clippedSum = (await sum.data())[0]!;
    sum.dispose();
  }
  // Gaussian mechanism on a sum of sensitivity `clip` (Dwork & Roth 2014, Thm. A.1): std = noiseMultiplier * clip
  const z = fillGaussian(a.rng, new Float64Array(1), a.noiseMultiplier * a.clip)[0]!;
  return (clippedSum + z) / a.expectedBatchSize;
}
