/**
 * The discrete Gaussian mechanism on the clipped gradient sum (noise: 'discrete_gaussian').
 * The sum is scaled by 1/g (g the granularity) and rounded to integers; the integer vector gets N_Z(0, S) noise
 * per coordinate and is scaled back by g. Rounding moves each coordinate by at most 1/2, so two neighbouring sums
 * differ after rounding by at most Delta = C/g + sqrt(d) in L2 (|round(a) - round(b)| <= |a - b| + 1 per
 * coordinate). With g = C / (R sqrt d), Delta = (R + 1) sqrt d, and S = ceil((sigma Delta)^2).
 * Cost per step: rho = Delta^2 / (2 S) zCDP (Canonne, Kamath, Steinke 2020, Thm. 14, multivariate discrete
 * Gaussian), so rho <= 1 / (2 sigma^2). No amplification by sampling is claimed for it; its noise is
 * (1 + 1/R) times the continuous one's.
 */
import * as tf from '@tensorflow/tfjs';
import { discreteGaussianSampler } from './discrete-gaussian.js';
import type { RandomSource } from './random-source.js';
import { fail } from './fail.js';

/** Resolution R: the rounding costs 1/R of the sensitivity. */
export const DISCRETE_RESOLUTION = 64;

/**
 * Granularity g, integer-domain sensitivity Delta, variance S and per-step rho for noise multiplier sigma, clip C and
 * d coordinates (see the module comment).
 * @example discreteGaussianParameters(1.1, 1, 1000).rho // just under 1 / (2 * 1.1^2)
 */
export function discreteGaussianParameters(sigma: number, clipNorm: number, dimension: number): { granularity: number; sensitivity: number; variance: number; rho: number } {
  const root = Math.sqrt(dimension);
  const sensitivity = (DISCRETE_RESOLUTION + 1) * root; // C/g + sqrt(d) with g = C / (R sqrt d)
  const variance = Math.ceil((sigma * sensitivity) ** 2);
  return { granularity: clipNorm / (DISCRETE_RESOLUTION * root), sensitivity, variance, rho: sensitivity ** 2 / (2 * variance) }; // CKS 2020 Thm. 14
}

export class DiscreteGaussianMechanism {
  readonly granularity!: number;
  readonly sensitivity!: number;
  readonly variance!: number;
  readonly rho!: number;
  private readonly draw: () => number;

  /** @example new DiscreteGaussianMechanism({ noiseMultiplier: 1.1, clipNorm: 1, dimension: 1000, rng }).rho // <= 1/(2*1.1^2) */
  constructor(o: { noiseMultiplier: number; clipNorm: number; dimension: number; rng: RandomSource }) {
    Object.assign(this, discreteGaussianParameters(o.noiseMultiplier, o.clipNorm, o.dimension));
    if (!Number.isSafeInteger(this.variance)) fail('invalid_argument', 'discrete Gaussian variance too large for this model size and noise multiplier');
    this.draw = discreteGaussianSampler(o.rng, this.variance);
  }

  /** g * (round(sum / g) + N_Z(0, S)) per coordinate; inputs are not disposed. */
  privatize(sums: readonly tf.Tensor[]): tf.Tensor[] {
    const g = this.granularity;
    return sums.map((s) => {
      const v = s.dataSync();
      const out = new Float32Array(v.length);
      for (let i = 0; i < v.length; i++) out[i] = g * (Math.round(v[i]! / g) + this.draw());
      return tf.tensor(out, s.shape, 'float32');
    });
  }
}
