/**
 * A central-limit (Gaussian DP) ESTIMATE of DP-SGD's epsilon. It is an approximation, not a bound: it can be
 * below the true epsilon, so never use it to spend or report a budget.
 */
import { AccountingError } from '../errors.js';
import { logNormalTail } from '../rdp/log-math.js';

export interface GdpEstimate {
  /** GDP parameter of the CLT limit. */
  mu: number;
  /** Epsilon of mu-GDP at the given delta. */
  epsilon: number;
  /** Always true: a CLT approximation, never an upper bound. */
  approximation: true;
}

/**
 * delta(eps) of mu-GDP: Phi(-eps/mu + mu/2) - e^eps Phi(-eps/mu - mu/2) (Dong, Roth, Su 2019, Cor. 2.13).
 * @example gdpDelta(1, 1) // ~0.1269
 */
export function gdpDelta(mu: number, epsilon: number): number {
  const a = Math.exp(logNormalTail(epsilon / mu - mu / 2));
  const b = Math.exp(epsilon + logNormalTail(epsilon / mu + mu / 2));
  return Math.max(0, a - b);
}

/**
 * CLT estimate for T steps of Poisson-sampled Gaussian: mu = q sqrt(T (e^{1/sigma^2} - 1)) (Bu, Dong, Long, Su
 * 2020, Sec. 3), then epsilon solving gdpDelta(mu, epsilon) = delta by bisection. APPROXIMATION, NOT A BOUND.
 * @example
 * gdpCltEstimate({ samplingProbability: 256 / 60000, noiseMultiplier: 1.1, steps: 234, delta: 1e-5 }) // epsilon ~0.245
 */
export function gdpCltEstimate(options: {
  samplingProbability: number;
  noiseMultiplier: number;
  steps: number;
  delta: number;
}): GdpEstimate {
  const { samplingProbability: q, noiseMultiplier: sigma, steps, delta } = options;
  if (!(q > 0 && q <= 1) || !(sigma > 0) || !(steps >= 0) || !(delta > 0 && delta < 1)) {
    throw new AccountingError('invalid_argument', 'need 0 < q <= 1, sigma > 0, steps >= 0, 0 < delta < 1');
  }
  const mu = q * Math.sqrt(steps * Math.expm1(1 / (sigma * sigma)));
  if (mu === 0 || gdpDelta(mu, 0) <= delta) return { mu, epsilon: 0, approximation: true };
  let lo = 0;
  let hi = 1;
  while (gdpDelta(mu, hi) > delta) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (gdpDelta(mu, mid) > delta) lo = mid;
    else hi = mid;
  }
  return { mu, epsilon: hi, approximation: true };
}

/**
 * The noise multiplier whose CLT estimate (above) is `epsilon` at `delta`: mu from Dong, Roth, Su 2019
 * Cor. 2.13 by bisection, then sigma = 1 / sqrt(log(1 + mu^2 / (q^2 T))) (Bu et al. 2020). A starting
 * guess for calibration only. APPROXIMATION, NOT A BOUND. Returns NaN when no sigma gives that mu.
 * @example gdpCltNoiseGuess({ epsilon: 1, delta: 1e-5, samplingProbability: 0.01, steps: 1000 }) // ~1.3
 */
export function gdpCltNoiseGuess(options: {
  epsilon: number;
  delta: number;
  samplingProbability: number;
  steps: number;
}): number {
  const { epsilon, delta, samplingProbability: q, steps } = options;
  if (!(epsilon > 0 && delta > 0 && delta < 1 && q > 0 && steps > 0)) return NaN;
  let lo = 0;
  let hi = 1;
  while (gdpDelta(hi, epsilon) < delta && hi < 1e6) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (gdpDelta(mid, epsilon) < delta) lo = mid;
    else hi = mid;
  }
  const ratio = (lo * lo) / (q * q * steps); // = e^{1/sigma^2} - 1
  return ratio > 0 && Number.isFinite(ratio) ? 1 / Math.sqrt(Math.log1p(ratio)) : NaN;
}
