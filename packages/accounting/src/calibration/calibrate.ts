/**
 * Noise calibration through accountant and event factories only (dp_accounting mechanism_calibration.py design):
 * the returned noise multiplier is never above the privacy target.
 */
import { AccountingError } from '../errors.js';
import { accountantFactory, dpSgdEvent, type AccountantFactory, type AccountantKind } from './factories.js';
import type { DpEvent } from '../dp-event.js';
import { gdpCltNoiseGuess } from './gdp-estimate.js';

export interface CalibrationOptions {
  targetEpsilon: number;
  targetDelta: number;
  /** Poisson sampling probability q in (0, 1] (used by the default event factory). */
  samplingProbability?: number;
  /** Number of DP-SGD steps (used by the default event factory). */
  steps?: number;
  /** Which accountant; ignored when `makeAccountant` is given. Default 'rdp'. */
  accountant?: AccountantKind;
  /** Achieved epsilon lands in [targetEpsilon - tolerance, targetEpsilon]. Default 0.01. */
  tolerance?: number;
  /** Custom accountant factory (a fresh accountant per call). */
  makeAccountant?: AccountantFactory;
  /** Custom event factory: the whole mechanism's event for a noise multiplier. */
  makeEvent?: (noiseMultiplier: number) => DpEvent;
  /** Search range for the noise multiplier. Default [1e-3, 1e4]. */
  bounds?: [number, number];
}

/** One result shape: the noise multiplier found and the epsilon it achieves at targetDelta. */
export interface CalibrationResult {
  noiseMultiplier: number;
  epsilon: number;
}

function positive(name: string, v: unknown, max = Infinity): number {
  if (typeof v !== 'number' || !(v > 0) || !(v <= max))
    throw new AccountingError('invalid_argument', `${name} must be a number in (0, ${max}], got ${String(v)}`);
  return v;
}

/**
 * The epsilon-at-targetDelta of a noise multiplier, through the options' factories (a fresh accountant per call).
 * @example
 * epsilonOfNoise({ targetEpsilon: 1, targetDelta: 1e-5, samplingProbability: 0.01, steps: 1000 })(1.1) // ~1.7118
 */
export function epsilonOfNoise(options: CalibrationOptions): (sigma: number) => number {
  const delta = options.targetDelta;
  if (typeof delta !== 'number' || !(delta >= 0 && delta < 1))
    throw new AccountingError('invalid_argument', `targetDelta must be in [0, 1), got ${String(delta)}`);
  const make = options.makeAccountant ?? accountantFactory(options.accountant ?? 'rdp');
  let makeEvent = options.makeEvent;
  if (makeEvent === undefined) {
    const q = positive('samplingProbability', options.samplingProbability, 1);
    const steps = options.steps;
    if (typeof steps !== 'number' || !Number.isSafeInteger(steps) || steps < 1)
      throw new AccountingError('invalid_argument', `steps must be a positive integer, got ${String(steps)}`);
    makeEvent = (sigma) => dpSgdEvent(q, sigma, steps);
  }
  const event = makeEvent;
  return (sigma) => make().compose(event(sigma)).getEpsilon(delta);
}

/**
 * The smallest noise multiplier found whose epsilon at targetDelta is <= targetEpsilon and
 * >= targetEpsilon - tolerance. Brackets from the CLT guess (or 1) by growing factors, then Illinois regula
 * falsi on log(sigma), keeping the upper end feasible at every step, so the answer never exceeds the target.
 * @example calibrateNoiseMultiplier({ targetEpsilon: 1, targetDelta: 1e-5, samplingProbability: 0.01, steps: 1000 })
 * // { noiseMultiplier: ~1.5, epsilon: ~0.99 }
 */
export function calibrateNoiseMultiplier(options: CalibrationOptions): CalibrationResult {
  const target = positive('targetEpsilon', options.targetEpsilon);
  const tolerance = positive('tolerance', options.tolerance ?? 0.01);
  const [minSigma, maxSigma] = options.bounds ?? [1e-3, 1e4];
  if (!(minSigma > 0 && maxSigma > minSigma))
    throw new AccountingError('invalid_argument', 'bounds must satisfy 0 < low < high');
  const eps = epsilonOfNoise(options);

  // Start from the CLT guess for DP-SGD (a guess only: the bracket below is checked with the real accountant).
  const { samplingProbability: q, steps, targetDelta } = options;
  const guess =
    options.makeEvent === undefined
      ? gdpCltNoiseGuess({ epsilon: target, delta: targetDelta, samplingProbability: q ?? NaN, steps: steps ?? NaN })
      : NaN;
  let factor = Number.isFinite(guess) ? 1.1 : 2; // squared after every step, so a bad guess costs few evaluations
  // Bracket: lo infeasible (eps > target) or the minimum; hi feasible.
  let hi = Math.min(Math.max(Number.isFinite(guess) ? guess * 1.05 : 1, minSigma), maxSigma);
  let epsHi = eps(hi);
  let lo = hi;
  let epsLo = epsHi;
  while (epsHi > target) {
    if (hi >= maxSigma)
      throw new AccountingError('calibration_failed', `no noise multiplier <= ${maxSigma} reaches epsilon ${target}`);
    lo = hi;
    epsLo = epsHi;
    hi = Math.min(hi * factor, maxSigma);
    factor = Math.min(factor * factor, 16);
    epsHi = eps(hi);
  }
  if (lo === hi) {
    while (epsLo <= target) {
      // even the least noise allowed meets the target
      if (lo <= minSigma) return { noiseMultiplier: lo, epsilon: epsLo };
      hi = lo;
      epsHi = epsLo;
      lo = Math.max(lo / factor, minSigma);
      factor = Math.min(factor * factor, 16);
      epsLo = eps(lo);
    }
  }
  // Illinois regula falsi on f(log sigma) = eps - target with f(lo) > 0 >= f(hi); hi stays feasible throughout.
  let a = Math.log(lo);
  let b = Math.log(hi);
  let fa = Math.min(epsLo, 1e6) - target; // infinities are clipped to keep the secant finite
  let fb = epsHi - target;
  let side = 0;
  for (let iter = 0; iter < 200 && epsHi < target - tolerance && b - a > 1e-14; iter++) {
    let c = (a * fb - b * fa) / (fb - fa);
    if (!(c > a && c < b)) c = (a + b) / 2;
    const sigma = Math.exp(c);
    const e = eps(sigma);
    if (e > target) {
      a = c;
      fa = Math.min(e, 1e6) - target;
      if (side === -1) fb /= 2;
      side = -1;
    } else {
      b = c;
      hi = sigma;
      epsHi = e;
      fb = e - target;
      if (side === 1) fa /= 2;
      side = 1;
    }
  }
  return { noiseMultiplier: hi, epsilon: epsHi };
}
