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

export class DiscreteGaussianMechanism {
  readonly granularity: number;
  readonly sensitivity: number;
  readonly variance: number;
  readonly rho: number;
  private readonly draw: () => number;

  /** @example new DiscreteGaussianMechanism({ noiseMultiplier: 1.1, clipNorm: 1, dimension: 1000, rng }).rho // <= 1/(2*1.1^2) */
  constructor(o: { noiseMultiplier: number; clipNorm: number; dimension: number; rng: RandomSource }) {
    const root = Math.sqrt(o.dimension);
    this.granularity = o.clipNorm / (DISCRETE_RESOLUTION * root);
    this.sensitivity = (DISCRETE_RESOLUTION + 1) * root;
    this.variance = Math.ceil((o.noiseMultiplier * this.sensitivity) ** 2);
    if (!Number.isSafeInteger(this.variance)) fail('invalid_argument', 'discrete Gaussian variance too large for this model size and noise multiplier');
    this.rho = this.sensitivity ** 2 / (2 * this.variance); // CKS 2020 Thm. 14: Delta^2 / (2 S)-zCDP
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
