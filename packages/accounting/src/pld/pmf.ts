/**
 * A discretised privacy loss distribution (PLD) for one neighbouring direction: mass `probs[i]` at loss
 * (offset + i) * interval, plus `infinityMass` at +infinity (Koskela, Jalko, Honkela 2020; Doroshenko et al. 2022).
 */

export interface Pmf {
  /** Grid index of probs[0]; losses are integer multiples of the discretisation interval. */
  readonly offset: number;
  readonly probs: Float64Array;
  /** Mass of infinite privacy loss: counted in full in every delta. */
  readonly infinityMass: number;
  /** Set when some mass was moved to higher losses to fit MAX_BINS points: still pessimistic, but loose. */
  readonly narrowed?: true;
}

/**
 * Most grid points a PLD may span (about 210 nats at interval 1e-4). Wider ones are narrowed pessimistically (the
 * lowest losses are raised into the window) and marked `narrowed`; PldAccountant then recomposes on a coarser grid.
 */
export const MAX_BINS = 1 << 21;

/** The PLD of a mechanism that reveals nothing: all mass at loss 0. */
export const IDENTITY_PMF: Pmf = { offset: 0, probs: Float64Array.of(1), infinityMass: 0 };

/**
 * Hockey-stick divergence at `epsilon`: delta = inf + sum_{l > eps} p_l (1 - e^{eps - l})
 * (Meiser & Mohammadi 2018, "Tight on budget?", Lemma 5; Sommer, Meiser, Mohammadi 2019, Thm. 3).
 * @example deltaForEpsilon({ offset: 10, probs: Float64Array.of(1), infinityMass: 0 }, 1e-4, 0) // 1 - e^{-1e-3}
 */
export function deltaForEpsilon(pmf: Pmf, interval: number, epsilon: number): number {
  const { offset, probs } = pmf;
  let delta = pmf.infinityMass;
  const first = Math.max(0, Math.floor(epsilon / interval) - offset);
  for (let i = probs.length - 1; i >= first; i--) {
    const loss = (offset + i) * interval;
    if (loss <= epsilon) break;
    delta -= probs[i]! * Math.expm1(epsilon - loss);
  }
  return Math.min(1, Math.max(0, delta));
}

/**
 * Smallest epsilon >= 0 whose hockey-stick divergence is <= delta (Infinity when the infinite-loss mass alone
 * exceeds delta). On each grid gap delta(eps) = U - e^{eps} W, with U and W suffix sums of p and p e^{-l}, so the
 * answer is eps = log((U - delta)/W) on the gap where it lands (Sommer, Meiser, Mohammadi 2019, Thm. 3).
 * W is carried as V = W e^{l} (V <= U), so nothing overflows however wide the grid.
 * @example epsilonForDelta({ offset: 10, probs: Float64Array.of(1), infinityMass: 0 }, 1e-4, 1e-5) // ~1e-3
 */
export function epsilonForDelta(pmf: Pmf, interval: number, delta: number): number {
  const { offset, probs } = pmf;
  if (pmf.infinityMass > delta) return Infinity;
  const stepDown = Math.exp(-interval);
  let upper = pmf.infinityMass; // U: mass with loss >= the current grid point
  let scaled = 0; // V: sum over those points of p_j e^{l_i - l_j}, l_i the current point
  let last = -1; // index of the previous non-zero point (above the current one)
  for (let i = probs.length - 1; i >= 0; i--) {
    const p = probs[i]!;
    if (p === 0) continue;
    if (last >= 0) scaled *= last - i === 1 ? stepDown : Math.exp(-(last - i) * interval);
    last = i;
    upper += p;
    scaled += p;
    if (upper <= delta) continue;
    const loss = (offset + i) * interval;
    const eps = loss + Math.log((upper - delta) / scaled);
    // eps solves U - e^{eps} W = delta on the gap below this point; accept it once it lies above the next point down.
    let j = i - 1;
    while (j >= 0 && probs[j] === 0) j--;
    const below = j >= 0 ? (offset + j) * interval : -Infinity;
    if (eps >= below) return Math.max(0, Math.min(eps, loss));
  }
  return 0;
}

/**
 * Truncates at most tau/2 of mass from each end: the lower tail is added to the first kept point (a higher
 * loss, so pessimistic), the upper tail is counted as infinite loss (dp_accounting pld_pmf truncation rule).
 * @example truncateTails(composed, 1e-15)
 */
export function truncateTails(pmf: Pmf, tau: number): Pmf {
  const { probs } = pmf;
  const n = probs.length;
  let lo = 0;
  let loMass = 0;
  while (lo < n - 1 && loMass + probs[lo]! <= tau / 2) loMass += probs[lo++]!;
  let hi = n - 1;
  let hiMass = 0;
  while (hi > lo && hiMass + probs[hi]! <= tau / 2) hiMass += probs[hi--]!;
  if (lo === 0 && hi === n - 1) return pmf;
  const kept = probs.slice(lo, hi + 1);
  kept[0] = kept[0]! + loMass;
  return withNarrowed(
    { offset: pmf.offset + lo, probs: kept, infinityMass: pmf.infinityMass + hiMass },
    pmf.narrowed === true,
  );
}

/**
 * Clears negative round-off (an FFT artefact); dropping negative mass can only raise delta.
 * @example clampNonNegative(probs) // [-1e-18, 0.5] becomes [0, 0.5]
 */
export function clampNonNegative(probs: Float64Array): void {
  for (let i = 0; i < probs.length; i++) if (!(probs[i]! > 0)) probs[i] = 0;
}

/**
 * Sum of the finite-loss masses.
 * @example finiteMass(Float64Array.of(0.25, 0.5)) // 0.75
 */
export function finiteMass(probs: Float64Array): number {
  let s = 0;
  for (let i = 0; i < probs.length; i++) s += probs[i]!;
  return s;
}

/**
 * `pmf`, marked narrowed when `narrowed` is true (the mark is only ever added, never cleared).
 * @example withNarrowed(pmf, a.narrowed === true || cut)
 */
export function withNarrowed(pmf: Pmf, narrowed: boolean): Pmf {
  return narrowed ? { ...pmf, narrowed: true } : pmf;
}
