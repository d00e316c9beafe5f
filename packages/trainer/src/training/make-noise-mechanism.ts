/** Builds the step's noise mechanism (noise-mechanism.ts) from the trainer's settled options. */
import { AdaptiveClipNorm, AdaptiveGaussianMechanism } from './adaptive-clipping.js';
import { DiscreteGaussianMechanism } from './discrete-gaussian-mechanism.js';
import { fail } from './fail.js';
import { GaussianMechanism } from './gaussian-mechanism.js';
import { GaussianNoiseStream, type NoiseSource } from './noise-prefetch.js';
import type { NoiseMechanism } from './noise-mechanism.js';
import type { RandomSource } from './random-source.js';
import { totalClipNorm, type ClipChoice } from './trainer-options.js';

/** What a mechanism is built from: the settled options, the model's size and the run's randomness. */
export interface NoiseMechanismSettings {
  noise: 'gaussian' | 'discrete_gaussian';
  clip: ClipChoice;
  noiseMultiplier: number;
  expectedBatchSize: number;
  datasetSize: number;
  /** Trainable coordinates. */
  dimension: number;
  /** The sampling stream (the discrete Gaussian draws its noise from it). */
  rng: RandomSource;
  /** Where the Gaussian samples come from (a seeded run's noise stream at a position, or the CSPRNG). */
  noiseSource: NoiseSource;
}

/**
 * The mechanism the settings choose; refuses adaptive clipping with discrete noise.
 * @example
 * makeNoiseMechanism({ noise: 'gaussian', clip: { kind: 'fixed', clipping: { kind: 'flat', clipNorm: 1 } },
 *   noiseMultiplier: 1.1, expectedBatchSize: 256, datasetSize: 60000, dimension: 1000, rng, noiseSource: { secure: rng
 * } })
 */
export function makeNoiseMechanism(s: NoiseMechanismSettings): NoiseMechanism {
  const { clip } = s;
  if (clip.kind === 'adaptive') {
    if (s.noise === 'discrete_gaussian')
      fail('invalid_argument', 'adaptive clipping is offered with Gaussian noise only');
    const adaptive = new AdaptiveClipNorm(clip.options, s.noiseMultiplier, s.expectedBatchSize);
    // unit variance: the std sigma_grad * C / B moves with C, so it is applied per step
    const unit = new GaussianNoiseStream(s.dimension, s.noiseSource, 1);
    return new AdaptiveGaussianMechanism(s.noiseMultiplier, adaptive, unit);
  }
  if (s.noise === 'discrete_gaussian') {
    const { noiseMultiplier, dimension, datasetSize, rng } = s;
    return new DiscreteGaussianMechanism({ noiseMultiplier, clipping: clip.clipping, dimension, datasetSize, rng });
  }
  // the samples come already scaled to std sigma * C / B
  const std = (s.noiseMultiplier * totalClipNorm(clip.clipping)) / s.expectedBatchSize;
  const scaled = new GaussianNoiseStream(s.dimension, s.noiseSource, std);
  return new GaussianMechanism(s.noiseMultiplier, clip.clipping, s.expectedBatchSize, scaled);
}
