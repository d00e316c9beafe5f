/**
 * Adaptive clipping by private quantile estimation (Andrew, Thakkar, McMahan, Ramaswamy 2021, "Differentially
 * private learning with adaptive clipping", Alg. 1, geometric update). Each step also releases the noised count
 * of examples whose gradient norm was at most C; C moves toward the target quantile:
 *   b = (sum_i (1[norm_i <= C] - 1/2) + N(0, sigma_b^2)) / expectedBatchSize + 1/2,   C <- C exp(-eta (b - gamma)).
 * Centering the indicator halves its sensitivity to 1/2, so the count is a Gaussian query with multiplier
 * 2 sigma_b. Its cost is paid by splitting the noise: the gradient gets multiplier
 *   sigma_grad = (sigma^-2 - (2 sigma_b)^-2)^(-1/2)   (ibid., Sec. 3.1),
 * and the pair of queries together is exactly one Gaussian mechanism with multiplier sigma, which is what the step
 * is accounted as.
 */
import type * as tf from '@tensorflow/tfjs';
import { fillGaussian } from './gaussian-noise.js';
import { addScaledNoise } from './gaussian-mechanism.js';
import type { MovingClipNorm, NoiseMechanism } from './noise-mechanism.js';
import type { GaussianNoiseStream } from './noise-prefetch.js';
import type { RandomSource } from './random-source.js';
import type { StepMechanism } from './step-events.js';
import { fail } from './fail.js';
import { faults } from './faults.js';
import type { Clipping } from '../per-sample/index.js';

/** Adaptive clipping settings (defaults from Andrew et al. 2021, Sec. 4). */
export interface AdaptiveClippingOptions {
  /** Starting C (default 0.1). */
  initialClipNorm?: number;
  /** Target quantile gamma of the per-example norms (default 0.5). */
  targetQuantile?: number;
  /** Geometric learning rate eta (default 0.2). */
  learningRate?: number;
  /** Noise multiplier of the count, sigma_b (default expectedBatchSize / 20). */
  countNoiseMultiplier?: number;
}

/** The moving clip norm and its share of the noise budget. */
export class AdaptiveClipNorm implements MovingClipNorm {
  clipNorm: number;
  readonly targetQuantile: number;
  readonly learningRate: number;
  readonly countNoiseMultiplier: number;
  /** The multiplier left for the gradient after paying for the count. */
  readonly gradientNoiseMultiplier: number;

  /** @example new AdaptiveClipNorm({ targetQuantile: 0.5 }, 1.1, 256).gradientNoiseMultiplier // ~1.1004 */
  constructor(
    opts: AdaptiveClippingOptions,
    noiseMultiplier: number,
    readonly expectedBatchSize: number,
  ) {
    this.clipNorm = opts.initialClipNorm ?? 0.1;
    this.targetQuantile = opts.targetQuantile ?? 0.5;
    this.learningRate = opts.learningRate ?? 0.2;
    this.countNoiseMultiplier = opts.countNoiseMultiplier ?? expectedBatchSize / 20;
    if (!(this.clipNorm > 0 && Number.isFinite(this.clipNorm)))
      fail('invalid_argument', 'adaptiveClipping.initialClipNorm must be > 0');
    if (!(this.targetQuantile >= 0 && this.targetQuantile <= 1))
      fail('invalid_argument', 'adaptiveClipping.targetQuantile must be in [0, 1]');
    if (!(this.learningRate >= 0 && Number.isFinite(this.learningRate)))
      fail('invalid_argument', 'adaptiveClipping.learningRate must be >= 0');
    if (!(2 * this.countNoiseMultiplier > noiseMultiplier)) {
      fail(
        'invalid_argument',
        'adaptive clipping needs 2 * countNoiseMultiplier > noiseMultiplier ' +
          `(${this.countNoiseMultiplier} vs ${noiseMultiplier})`,
      );
    }
    // sigma_grad = (sigma^-2 - (2 sigma_b)^-2)^(-1/2) (Andrew et al. 2021, Sec. 3.1)
    this.gradientNoiseMultiplier = (noiseMultiplier ** -2 - (2 * this.countNoiseMultiplier) ** -2) ** -0.5;
  }

  /** Releases the noised fraction of norms <= C and moves C; returns the released fraction. */
  update(countAtMostC: number, batchSize: number, rng: RandomSource): number {
    const noise = fillGaussian(rng, new Float64Array(1), this.countNoiseMultiplier)[0]!;
    // centered count (sensitivity 1/2), noised, rescaled by the public expected batch size
    const fraction = (countAtMostC - batchSize / 2 + noise) / this.expectedBatchSize + 0.5;
    this.clipNorm *= Math.exp(-this.learningRate * (fraction - this.targetQuantile)); // geometric update (Alg. 1)
    return fraction;
  }
}

/**
 * Adaptive clipping's noise: the gradient sum gets N(0, (sigma_grad C)^2) at the step's C, and `adaptive.update`
 * releases the count with N(0, sigma_b^2); together one Gaussian mechanism of multiplier sigma (see above), which is
 * the step's event.
 * @example
 * const clip = new AdaptiveClipNorm({}, 1.1, 256);
 * const m = new AdaptiveGaussianMechanism(1.1, clip, new GaussianNoiseStream(d, source, 1));
 */
export class AdaptiveGaussianMechanism implements NoiseMechanism {
  /** @param stream unit-variance samples (the std moves with C) */
  constructor(
    private readonly noiseMultiplier: number,
    readonly adaptive: AdaptiveClipNorm,
    readonly stream: GaussianNoiseStream,
  ) {}

  event(): StepMechanism {
    return { noise: 'gaussian', noiseMultiplier: this.noiseMultiplier };
  }

  clipping(): Clipping {
    return { kind: 'flat', clipNorm: this.adaptive.clipNorm };
  }

  /** sum / B + z sigma_grad C / B, z ~ N(0, 1): (sum + N(0, (sigma_grad C)^2)) / B (Abadi et al. 2016, Algorithm 1). */
  async privatize(sums: readonly tf.Tensor[], B: number): Promise<tf.Tensor[]> {
    const z = await this.stream.next();
    try {
      return addScaledNoise(
        sums,
        z,
        ((this.adaptive.gradientNoiseMultiplier * this.adaptive.clipNorm) / B) * faults.noiseScale,
        1 / B,
      );
    } finally {
      this.stream.release(z); // its samples are in the returned tensors now: the stream refills the buffer
    }
  }
}
