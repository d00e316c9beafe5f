/**
 * The discrete Gaussian mechanism on the clipped gradient sum (noise: 'discrete_gaussian').
 * The sum is scaled by 1/g (g the granularity) and rounded to integers; the integer vector gets N_Z(0, S) noise
 * per coordinate and is scaled back by g. Rounding moves each coordinate by at most 1/2, so two neighbouring sums
 * at L2 distance D differ after rounding by at most D/g + sqrt(d) (|round(a) - round(b)| <= |a - b| + 1 per
 * coordinate). With g = C / (R sqrt d): add_or_remove_one D = C (1 + eta), Delta = (R (1 + eta) + 1) sqrt d;
 * replace_one D = 2C + eta C (one clipped term out, one in), Delta = ((2 + eta) R + 1) sqrt d.
 * eta is the float32 margin: the computed clipped sum of m <= n terms (n = datasetSize, public) differs from the
 * exact sum of the clipped terms by at most gamma_{n+d} times the sum of their norms, <= gamma_{n+d} n C, for each
 * of the two datasets (recursive summation and dot products in any order, clip coefficients from a d-term norm:
 * Higham 2002, "Accuracy and Stability of Numerical Algorithms", 2nd ed., Lemmas 3.1 and 3.3, Sec. 3.1 (dot
 * products) and Sec. 4.2 (summation); gamma_k = k u / (1 - k u), u = 2^-24), so eta = 2 n gamma_{n+d}. S = ceil((sigma
 * Delta_add)^2).
 * Cost per step: rho = Delta^2 / (2 S) zCDP for the relation's Delta (Canonne, Kamath, Steinke 2020, Thm. 14,
 * multivariate discrete Gaussian), so rho_add <= 1 / (2 sigma^2) and rho_replace is about 4x that. No amplification
 * by sampling is claimed for it; its noise is (1 + eta + 1/R) times the continuous one's.
 */
import * as tf from '@tensorflow/tfjs';
import { discreteGaussianSampler } from './discrete-gaussian.js';
import type { HostRead, NoiseMechanism } from './noise-mechanism.js';
import type { RandomSource } from './random-source.js';
import type { StepMechanism } from './step-events.js';
import { fail } from './fail.js';
import { totalClipNorm } from './trainer-options.js';
import type { Clipping } from '../per-sample/index.js';
import type { NeighboringRelation } from '@dpledger/accounting';

/** Resolution R: the rounding costs 1/R of the sensitivity. */
export const DISCRETE_RESOLUTION = 64;

/** Unit round-off of IEEE float32 (Higham 2002, Table 2.1). */
const FLOAT32_UNIT_ROUNDOFF = 2 ** -24;
/** Largest float32 margin accepted: beyond it the noise would more than double, so the trainer refuses instead. */
export const MAX_FLOAT_MARGIN = 1;

/**
 * eta = 2 n gamma_{n+d}: the float32 clipped-sum margin relative to C for n records and d coordinates (module comment).
 * @example float32SumMargin(100, 1000) // ~1.3e-2
 */
export function float32SumMargin(datasetSize: number, dimension: number): number {
  const ku = (datasetSize + dimension) * FLOAT32_UNIT_ROUNDOFF;
  return ku >= 1 ? Infinity : (2 * datasetSize * ku) / (1 - ku); // 2 n gamma_{n+d} (Higham 2002, Lemma 3.1)
}

/** Granularity g, float margin, add_or_remove_one sensitivity Delta, variance S and per-step rho by relation. */
export interface DiscreteGaussianParameters {
  granularity: number;
  floatMargin: number;
  sensitivity: number;
  variance: number;
  /** rho under add_or_remove_one. */
  rho: number;
  /** rho under replace_one (same noise, the replace-one sensitivity). */
  rhoReplaceOne: number;
}

/**
 * The parameters for noise multiplier sigma, clip C, d coordinates and n records (see the module comment).
 * @example discreteGaussianParameters(1.1, 1, 1000, 100).rho // just under 1 / (2 * 1.1^2)
 */
export function discreteGaussianParameters(
  sigma: number,
  clipNorm: number,
  dimension: number,
  datasetSize: number,
): DiscreteGaussianParameters {
  const root = Math.sqrt(dimension);
  const R = DISCRETE_RESOLUTION;
  const floatMargin = float32SumMargin(datasetSize, dimension);
  const sensitivity = (R * (1 + floatMargin) + 1) * root; // C (1 + eta) / g + sqrt(d) with g = C / (R sqrt d)
  const replace = ((2 + floatMargin) * R + 1) * root; // (2C + eta C) / g + sqrt(d)
  const variance = Math.ceil((sigma * sensitivity) ** 2);
  return {
    granularity: clipNorm / (R * root),
    floatMargin,
    sensitivity,
    variance,
    rho: sensitivity ** 2 / (2 * variance),
    rhoReplaceOne: replace ** 2 / (2 * variance), // CKS 2020 Thm. 14
  };
}

/**
 * The zCDP rho of one step under `relation`.
 * @example rhoFor(discreteGaussianParameters(2, 1, 50, 64), 'replace_one') // ~4x the add_or_remove_one rho
 */
export function rhoFor(p: DiscreteGaussianParameters, relation: NeighboringRelation): number {
  return relation === 'replace_one' ? p.rhoReplaceOne : p.rho;
}

/** Reads the tensors one by one (a caller without a step to share the read with). */
const readEach: HostRead = (tensors) => Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));

export class DiscreteGaussianMechanism implements NoiseMechanism {
  readonly granularity!: number;
  readonly floatMargin!: number;
  readonly sensitivity!: number;
  readonly variance!: number;
  readonly rho!: number;
  readonly rhoReplaceOne!: number;
  readonly adaptive = null;
  /** None: the noise is drawn from the sampling stream. */
  readonly stream = null;
  private readonly draw: () => number;
  private readonly fixed: Clipping;

  /**
   * @example
   * const clipping = { kind: 'flat', clipNorm: 1 } as const;
   * new DiscreteGaussianMechanism({ noiseMultiplier: 1.1, clipping, dimension: 1000, datasetSize: 100, rng }).rho
   * // <= 1/(2*1.1^2)
   */
  constructor(o: {
    noiseMultiplier: number;
    clipping: Clipping;
    dimension: number;
    datasetSize: number;
    rng: RandomSource;
  }) {
    this.fixed = o.clipping;
    Object.assign(
      this,
      discreteGaussianParameters(o.noiseMultiplier, totalClipNorm(o.clipping), o.dimension, o.datasetSize),
    );
    if (!(this.floatMargin <= MAX_FLOAT_MARGIN)) {
      fail(
        'invalid_argument',
        'discrete Gaussian: the float32 round-off bound of the clipped sum ' +
          `(${this.floatMargin.toPrecision(3)} C for ${o.datasetSize} records and ${o.dimension} weights) ` +
          "exceeds C; use noise 'gaussian'",
      );
    }
    if (!Number.isSafeInteger(this.variance))
      fail('invalid_argument', 'discrete Gaussian variance too large for this model size and noise multiplier');
    this.draw = discreteGaussianSampler(o.rng, this.variance);
  }

  /** zcdp(rho) for the relation's sensitivity, never amplified (module comment). */
  event(relation: NeighboringRelation): StepMechanism {
    return { noise: 'discrete_gaussian', rho: rhoFor(this, relation) };
  }

  clipping(): Clipping {
    return this.fixed;
  }

  /**
   * g * (round(sum / g) + N_Z(0, S)) / B per coordinate, the integer part exact in float64 on the host; inputs are
   * not disposed. Reads the sums asynchronously, in one read with `read`.
   */
  async privatize(sums: readonly tf.Tensor[], B: number, read: HostRead = readEach): Promise<tf.Tensor[]> {
    const g = this.granularity;
    const all = await read(sums);
    return sums.map((s, k) => {
      const v = all[k]!;
      const out = new Float32Array(v.length);
      for (let i = 0; i < v.length; i++) out[i] = g * (Math.round(v[i]! / g) + this.draw());
      // divided on the device, as before the interface
      return tf.tidy(() => tf.div(tf.tensor(out, s.shape, 'float32'), B));
    });
  }
}
