/** How many steps a noise multiplier buys under a privacy budget. */
import { AccountingError } from '../errors.js';
import { RdpAccountant } from '../rdp/rdp-accountant.js';
import { rdpToEpsilon } from '../rdp/conversion.js';
import { accountantFactory, dpSgdEvent, type AccountantFactory, type AccountantKind } from './factories.js';

export interface MaxStepsOptions {
  targetEpsilon: number;
  targetDelta: number;
  samplingProbability: number;
  noiseMultiplier: number;
  accountant?: AccountantKind;
  makeAccountant?: AccountantFactory;
  /** Upper end of the search. Default 1e9. */
  maxSteps?: number;
}

/** The largest step count within budget, and the epsilon it spends (0 steps: epsilon 0). */
export interface MaxStepsResult {
  steps: number;
  epsilon: number;
}

/**
 * The largest number of DP-SGD steps whose epsilon at targetDelta is <= targetEpsilon (exponential then binary
 * search on the monotone epsilon(steps)). With an RDP accountant the one-step curve is built once and scaled.
 * @example maxStepsForBudget({ targetEpsilon: 2, targetDelta: 1e-5, samplingProbability: 0.01, noiseMultiplier: 1.1 })
 * // { steps: ~1500, epsilon: <= 2 }
 */
export function maxStepsForBudget(options: MaxStepsOptions): MaxStepsResult {
  const { targetEpsilon, targetDelta, samplingProbability: q, noiseMultiplier: sigma } = options;
  const cap = options.maxSteps ?? 1e9;
  if (!(targetEpsilon > 0) || !(targetDelta >= 0 && targetDelta < 1) || !Number.isSafeInteger(cap) || cap < 1) {
    throw new AccountingError(
      'invalid_argument',
      'targetEpsilon must be > 0, targetDelta in [0, 1), maxSteps a positive integer',
    );
  }
  const make = options.makeAccountant ?? accountantFactory(options.accountant ?? 'rdp');
  const probe = make();
  let eps: (steps: number) => number;
  if (probe instanceof RdpAccountant) {
    probe.compose(dpSgdEvent(q, sigma, 1));
    const one = probe.rdp;
    eps = (steps) =>
      rdpToEpsilon(
        probe.orders,
        one.map((r) => r * steps),
        targetDelta,
      ).value; // RDP composes additively (Mironov 2017, Prop. 1)
  } else {
    eps = (steps) =>
      make()
        .compose(dpSgdEvent(q, sigma, steps))
        .getEpsilon(targetDelta);
  }
  let good = 0;
  let goodEps = 0;
  let bad = 1;
  for (;;) {
    const e = eps(bad);
    if (e > targetEpsilon) break;
    good = bad;
    goodEps = e;
    if (bad >= cap) return { steps: good, epsilon: goodEps };
    bad = Math.min(bad * 2, cap);
  }
  while (bad - good > 1) {
    const mid = Math.floor((good + bad) / 2);
    const e = eps(mid);
    if (e <= targetEpsilon) {
      good = mid;
      goodEps = e;
    } else bad = mid;
  }
  return { steps: good, epsilon: goodEps };
}
