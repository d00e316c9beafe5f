/**
 * A privacy loss distribution for add_or_remove_one kept as its two directions (remove, add); the guarantee is the
 * worse of the two (dp_accounting PrivacyLossDistribution keeps the same pair). Symmetric PLDs share one PMF.
 */
import { composePmf, selfComposePmf } from './compose.js';
import { connectTheDots } from './connect-dots.js';
import { deltaForEpsilon, epsilonForDelta, IDENTITY_PMF, MAX_BINS, withNarrowed, type Pmf } from './pmf.js';
import { gaussianNoise, laplaceNoise, SampledLoss, type Direction, type Noise } from './privacy-loss.js';

export interface Pld {
  readonly remove: Pmf;
  /** The same object as `remove` when the PLD is symmetric. */
  readonly add: Pmf;
}

export const IDENTITY_PLD: Pld = { remove: IDENTITY_PMF, add: IDENTITY_PMF };

function symmetric(p: Pld): boolean {
  return p.remove === p.add;
}

/**
 * Composition of two PLDs, direction by direction.
 * @example composePld(stepA, stepB)
 */
export function composePld(a: Pld, b: Pld): Pld {
  if (a === IDENTITY_PLD) return b;
  if (b === IDENTITY_PLD) return a;
  const remove = composePmf(a.remove, b.remove);
  return { remove, add: symmetric(a) && symmetric(b) ? remove : composePmf(a.add, b.add) };
}

/**
 * `count`-fold self-composition, direction by direction (count 0 gives the identity).
 * @example selfComposePld(step, 1000)
 */
export function selfComposePld(a: Pld, count: number): Pld {
  if (count === 0 || a === IDENTITY_PLD) return IDENTITY_PLD;
  const remove = selfComposePmf(a.remove, count);
  return { remove, add: symmetric(a) ? remove : selfComposePmf(a.add, count) };
}

/**
 * True when either direction was narrowed to fit the grid (pessimistic but loose: recompose on a coarser grid).
 * @example pldNarrowed(composePld(a, b))
 */
export function pldNarrowed(p: Pld): boolean {
  return p.remove.narrowed === true || p.add.narrowed === true;
}

/**
 * Worst-direction delta at epsilon.
 * @example pldDelta(pld, 1e-4, 1.0)
 */
export function pldDelta(p: Pld, interval: number, epsilon: number): number {
  const r = deltaForEpsilon(p.remove, interval, epsilon);
  return symmetric(p) ? r : Math.max(r, deltaForEpsilon(p.add, interval, epsilon));
}

/**
 * Worst-direction epsilon at delta.
 * @example pldEpsilon(pld, 1e-4, 1e-5)
 */
export function pldEpsilon(p: Pld, interval: number, delta: number): number {
  const r = epsilonForDelta(p.remove, interval, delta);
  return symmetric(p) ? r : Math.max(r, epsilonForDelta(p.add, interval, delta));
}

function directionPmf(noise: Noise, q: number, dir: Direction, interval: number): Pmf {
  const loss = new SampledLoss(noise, q, dir);
  const [lo, hi] = loss.lossRange();
  return connectTheDots((eps) => loss.delta(eps), interval, Math.floor(lo / interval), Math.ceil(hi / interval));
}

/**
 * PLD of an additive-noise mechanism (sensitivity 1) applied to a Poisson subsample with probability q, by
 * pessimistic connect-the-dots. q = 1 is the plain mechanism, whose two directions coincide.
 * @example additiveNoisePld('gaussian', 1.1, 0.01, 1e-4)
 */
export function additiveNoisePld(kind: 'gaussian' | 'laplace', scale: number, q: number, interval: number): Pld {
  const noise = kind === 'gaussian' ? gaussianNoise(scale) : laplaceNoise(scale);
  const remove = directionPmf(noise, q, 'remove', interval);
  return { remove, add: q === 1 ? remove : directionPmf(noise, q, 'add', interval) };
}

/**
 * Pessimistic PLD of a mechanism known only to be (epsilon, delta)-DP: loss +eps with mass (1-delta)/(1+e^{-eps}),
 * -eps with mass (1-delta)/(1+e^{eps}), +infinity with mass delta (Kairouz, Oh, Viswanath 2015, Thm. 3.5; the
 * dominating pair of dp_accounting from_privacy_parameters). Losses too far out for the grid count as infinite.
 * @example epsilonDeltaPld(1, 1e-6, 1e-4)
 */
export function epsilonDeltaPld(epsilon: number, delta: number, interval: number): Pld {
  const hi = Math.ceil(epsilon / interval);
  const lo = Math.ceil(-epsilon / interval);
  const upperMass = (1 - delta) / (1 + Math.exp(-epsilon));
  const lowerMass = (1 - delta) / (1 + Math.exp(epsilon));
  let pmf: Pmf;
  if (hi - lo + 1 > MAX_BINS) {
    pmf = withNarrowed({ offset: 0, probs: Float64Array.of(lowerMass), infinityMass: delta + upperMass }, true);
  } else if (hi === lo) {
    pmf = { offset: lo, probs: Float64Array.of(upperMass + lowerMass), infinityMass: delta };
  } else {
    const probs = new Float64Array(hi - lo + 1);
    probs[0] = lowerMass;
    probs[hi - lo] = upperMass;
    pmf = { offset: lo, probs, infinityMass: delta };
  }
  return { remove: pmf, add: pmf };
}
