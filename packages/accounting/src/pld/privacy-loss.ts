/**
 * Privacy loss of additive-noise mechanisms (Gaussian, Laplace; sensitivity 1) under Poisson subsampling, in
 * the two directions of add_or_remove_one: remove (upper = (1-q) mu + q mu(. + 1), lower = mu) and add
 * (upper = mu, lower = (1-q) mu + q mu(. - 1)) (Zhu, Dong, Wang 2022, "Optimal accounting of differential
 * privacy via characteristic function", Sec. 5; Koskela, Jalko, Honkela 2020). Loss is non-increasing in x.
 */
import { normCdf, normLogCdf, normPpfLog } from './normal.js';

export type Direction = 'remove' | 'add';

/**
 * The noise distribution mu and its unsampled loss l0(x) = log mu(x + 1)/mu(x) (remove) or log mu(x - 1)/mu(x) (add).
 */
export interface Noise {
  cdf(x: number): number;
  logCdf(x: number): number;
  loss0(x: number, dir: Direction): number;
  /** Largest x with loss0(x) >= loss (+-Infinity where none / all). */
  inverseLoss0(loss: number, dir: Direction): number;
  /** [lowest x, highest x] outside of which the upper distribution has negligible mass (or the loss is flat). */
  xRange(dir: Direction): [number, number];
}

/** log(1 - q + q e^a) without overflow (Poisson-subsampled likelihood ratio). */
function logMix(q: number, a: number): number {
  if (a > 30) return a + Math.log(q + (1 - q) * Math.exp(-a));
  return Math.log1p(q * Math.expm1(a));
}

/** Inverse of logMix in a: log(1 + (e^l - 1)/q), defined for l > log(1 - q). */
function invLogMix(q: number, l: number): number {
  if (l > 30) return l - Math.log(q) + Math.log1p(-(1 - q) * Math.exp(-l));
  return Math.log1p(Math.expm1(l) / q);
}

/** log(e^a + e^b). */
function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** ln of the mass each Gaussian tail may drop before it is counted as infinite loss (dp_accounting: -50). */
const LOG_TAIL_MASS = -50;

/**
 * N(0, sigma^2) noise: l0 = (-1/2 - x)/sigma^2 (remove), (1/2 - x)/sigma^2 (add) (Balle & Wang 2018, Lemma 3).
 * @example new SampledLoss(gaussianNoise(1.1), 0.01, 'remove').delta(1) // delta at epsilon 1 of one DP-SGD step
 */
export function gaussianNoise(sigma: number): Noise {
  const s2 = sigma * sigma;
  return {
    cdf: (x) => normCdf(x / sigma),
    logCdf: (x) => normLogCdf(x / sigma),
    loss0: (x, dir) => ((dir === 'remove' ? -0.5 : 0.5) - x) / s2,
    inverseLoss0: (loss, dir) => (dir === 'remove' ? -0.5 : 0.5) - loss * s2,
    xRange: (dir) => {
      const z = sigma * normPpfLog(Math.log(0.5) + LOG_TAIL_MASS); // Phi(z/sigma) = e^{-50}/2 per tail
      return dir === 'remove' ? [z - 1, -z] : [z, -z + 1];
    },
  };
}

/**
 * Laplace(b) noise: l0 = (|x| - |x + 1|)/b (remove), (|x - 1| - |x|)/b (add) (Dwork & Roth 2014, Thm. 3.6).
 * @example new SampledLoss(laplaceNoise(0.5), 1, 'remove').delta(2) // 0: pure 2-DP
 */
export function laplaceNoise(b: number): Noise {
  return {
    cdf: (x) => (x < 0 ? 0.5 * Math.exp(x / b) : 1 - 0.5 * Math.exp(-x / b)),
    logCdf: (x) => (x < 0 ? x / b - Math.LN2 : Math.log1p(-0.5 * Math.exp(-x / b))),
    loss0: (x, dir) => (dir === 'remove' ? Math.abs(x) - Math.abs(x + 1) : Math.abs(x - 1) - Math.abs(x)) / b,
    inverseLoss0: (loss, dir) => {
      const t = loss * b;
      if (t > 1) return -Infinity;
      if (t <= -1) return Infinity;
      return 0.5 * ((dir === 'remove' ? -1 : 1) - t);
    },
    xRange: (dir) => (dir === 'remove' ? [-1, 0] : [0, 1]),
  };
}

/**
 * A Poisson-subsampled additive-noise mechanism seen from one direction.
 * @example new SampledLoss(gaussianNoise(1.1), 0.01, 'add').lossRange() // [lowest, highest] loss on the grid
 */
export class SampledLoss {
  private readonly logQ: number;
  private readonly log1mQ: number;

  constructor(
    readonly noise: Noise,
    readonly q: number,
    readonly dir: Direction,
  ) {
    this.logQ = Math.log(q);
    this.log1mQ = Math.log1p(-q);
  }

  /** Privacy loss at x: log(1-q+q e^{l0}) (remove), -log(1-q+q e^{-l0}) (add) (Zhu, Dong, Wang 2022, Sec. 5). */
  loss(x: number): number {
    const l0 = this.noise.loss0(x, this.dir);
    if (this.q === 1) return l0;
    return this.dir === 'remove' ? logMix(this.q, l0) : -logMix(this.q, -l0);
  }

  /** [lowest, highest] loss worth a grid point; beyond them the mass is lumped pessimistically. */
  lossRange(): [number, number] {
    const [lo, hi] = this.noise.xRange(this.dir);
    return [this.loss(hi), this.loss(lo)];
  }

  /**
   * Hockey-stick divergence sup_S upper(S) - e^eps lower(S) = upper_cdf(x*) - e^eps lower_cdf(x*) where x* is the
   * largest x with loss(x) >= eps, since the loss is monotone (dp_accounting privacy_loss_mechanism.py, Obs. 1).
   */
  delta(eps: number): number {
    const { q, dir, noise, log1mQ } = this;
    let target = eps;
    if (q < 1) {
      if (dir === 'remove' && eps <= log1mQ) return -Math.expm1(eps); // upper >= e^eps lower everywhere
      if (dir === 'add' && eps >= -log1mQ) return 0; // upper <= e^eps lower everywhere
      target = dir === 'remove' ? invLogMix(q, eps) : -invLogMix(q, -eps);
    }
    const x = noise.inverseLoss0(target, dir);
    if (x === -Infinity) return 0;
    let upperCdf: number;
    let logLowerCdf: number;
    // Evaluation order puts the two functions of the same point next to each other (normal.ts reuses the work).
    if (dir === 'remove') {
      logLowerCdf = noise.logCdf(x);
      upperCdf = q === 1 ? noise.cdf(x + 1) : (1 - q) * noise.cdf(x) + q * noise.cdf(x + 1);
    } else {
      upperCdf = noise.cdf(x);
      logLowerCdf =
        q === 1 ? noise.logCdf(x - 1) : logAddExp(log1mQ + noise.logCdf(x), this.logQ + noise.logCdf(x - 1));
    }
    const d = upperCdf - Math.exp(eps + logLowerCdf);
    return Math.min(1, Math.max(0, d));
  }
}
