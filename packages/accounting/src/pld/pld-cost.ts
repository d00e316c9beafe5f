/**
 * The price of an event for PldAccountant, kept symbolic until a guarantee is asked for: each distinct leaf PLD
 * with how often it is composed (counts multiply down to the leaves, as in dp_accounting's PLDAccountant), plus
 * the unsampled Gaussians folded into one. Every way of writing the same composition (compose(e, n), n composes,
 * self_composed) therefore reaches the very same numbers, and each leaf is self-composed by one FFT power.
 * More than MAX_GROUPS distinct leaves are composed into one PLD as they come, which bounds memory.
 */
import { selfConvolveBounds, TAIL_MASS_TRUNCATION } from './compose.js';
import { additiveNoisePld, composePld, IDENTITY_PLD, selfComposePld, type Pld } from './pld.js';
import { truncateTails, type Pmf } from './pmf.js';
import { gaussianNoise, SampledLoss } from './privacy-loss.js';

export interface PldGroup {
  readonly pld: Pld;
  readonly count: number;
}

export interface PldCost {
  /** Contains a non_private release: epsilon is Infinity. */
  readonly nonPrivate: boolean;
  /**
   * Summed precision 1/sigma^2 of unsampled Gaussians: they compose exactly into one Gaussian with
   * sigma = precision^{-1/2} (Dong, Roth, Su 2022, "Gaussian differential privacy", Cor. 3.3), discretised once.
   */
  readonly gaussianPrecision: number;
  /** Distinct leaf PLDs (keyed by mechanism and parameters) with their composition counts, in first-seen order. */
  readonly groups: ReadonlyMap<string | symbol, PldGroup>;
}

/** Beyond this many distinct leaves the groups are composed into one PLD, so memory stays bounded. */
export const MAX_GROUPS = 16;

/** Composes the groups in order: each self-composed by one FFT power. */
function composeGroups(groups: ReadonlyMap<string | symbol, PldGroup>): Pld {
  let pld = IDENTITY_PLD;
  for (const g of groups.values()) pld = composePld(pld, selfComposePld(g.pld, g.count));
  return pld;
}

/** The cost of nothing. */
export const ZERO_COST: PldCost = { nonPrivate: false, gaussianPrecision: 0, groups: new Map() };

/**
 * One application of the leaf mechanism whose PLD is `pld`; `key` must determine `pld` completely.
 * @example leafGroupCost('gaussian:1.1:0.01', additiveNoisePld('gaussian', 1.1, 0.01, 1e-4))
 */
export function leafGroupCost(key: string, pld: Pld): PldCost {
  return { nonPrivate: false, gaussianPrecision: 0, groups: new Map([[key, { pld, count: 1 }]]) };
}

/**
 * Sequential composition of two costs (PLDs compose by convolution: Sommer, Meiser, Mohammadi 2019, Thm. 1).
 * @example combineCosts(a, b).groups // a's groups, then b's, counts added for shared keys
 */
export function combineCosts(a: PldCost, b: PldCost): PldCost {
  let groups = new Map(a.groups);
  for (const [key, g] of b.groups) {
    const prev = groups.get(key);
    groups.set(key, prev === undefined ? g : { pld: g.pld, count: prev.count + g.count });
  }
  if (groups.size > MAX_GROUPS) groups = new Map([[Symbol('composed'), { pld: composeGroups(groups), count: 1 }]]);
  return {
    nonPrivate: a.nonPrivate || b.nonPrivate,
    gaussianPrecision: a.gaussianPrecision + b.gaussianPrecision,
    groups,
  };
}

/**
 * `count` sequential compositions of a cost.
 * @example repeatCost(leafGroupCost(key, pld), 1000).groups.get(key)?.count // 1000
 */
export function repeatCost(cost: PldCost, count: number): PldCost {
  if (count === 0) return ZERO_COST;
  if (count === 1) return cost;
  const groups = new Map<string | symbol, PldGroup>();
  for (const [key, g] of cost.groups) groups.set(key, { pld: g.pld, count: g.count * count });
  return { nonPrivate: cost.nonPrivate, gaussianPrecision: cost.gaussianPrecision * count, groups };
}

/**
 * The PLD of a cost: each group self-composed by one FFT power, the groups composed in order, then the folded
 * Gaussian discretised by connect-the-dots.
 * @example materializeCost(repeatCost(leafGroupCost(key, stepPld), 1000), 1e-4)
 */
export function materializeCost(cost: PldCost, interval: number): Pld {
  let pld = composeGroups(cost.groups);
  if (cost.gaussianPrecision > 0) {
    pld = composePld(pld, additiveNoisePld('gaussian', 1 / Math.sqrt(cost.gaussianPrecision), 1, interval));
  }
  return pld;
}

/** Grid points the `count`-fold composition of one direction spans after tail truncation (the Chernoff window). */
function selfComposedPoints(pmf: Pmf, count: number): number {
  if (count === 1) return pmf.probs.length;
  const trimmed = truncateTails(pmf, TAIL_MASS_TRUNCATION / count);
  const [lower, upper] = selfConvolveBounds(trimmed.probs, count, TAIL_MASS_TRUNCATION);
  return upper - lower + 1;
}

/**
 * About how many grid points (at `interval`, the grid the groups were built on) the materialized PLD of `cost`
 * spans: the groups' Chernoff windows and the folded Gaussian's loss range, added. Cheap (no FFT); an estimate
 * for choosing a grid that fits, never needed for soundness.
 * @example composedPoints(repeatCost(leafGroupCost(key, stepPld), 10_000), 1e-4) // ~3.1e6 for q=0.1, sigma=0.8
 */
export function composedPoints(cost: PldCost, interval: number): number {
  let points = 1;
  for (const g of cost.groups.values()) {
    points += Math.max(selfComposedPoints(g.pld.remove, g.count), selfComposedPoints(g.pld.add, g.count)) - 1;
  }
  if (cost.gaussianPrecision > 0) {
    const [lo, hi] = new SampledLoss(gaussianNoise(1 / Math.sqrt(cost.gaussianPrecision)), 1, 'remove').lossRange();
    points += Math.ceil((hi - lo) / interval);
  }
  return points;
}
