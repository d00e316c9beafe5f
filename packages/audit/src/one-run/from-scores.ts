/**
 * A one-run audit from canary scores: choose how many top-scoring canaries to guess "in" honestly, then bound.
 * Guesses are one-sided (k- = 0), as in jax_privacy's `epsilon_one_run`: "in" for the k+ highest scores.
 */
import { AuditError } from '../errors.js';
import { oneRunEpsilonLowerBound, rejectsClaim, type OneRunMethod } from './lower-bound.js';

/** How k+ is chosen without overstating confidence. */
export type ThresholdSelection = 'bonferroni' | 'split';

export interface ScoreAuditInput {
  /** Scores of the canaries that were included, in canary order (higher = more likely included). */
  inScores: readonly number[];
  /** Scores of the canaries that were left out, in canary order. */
  outScores: readonly number[];
  significance: number;
  delta: number;
  method: OneRunMethod;
  /**
   * 'bonferroni' (default): every k+ of a fixed grid (m 2^(-j/2), about 2 log2 m values, chosen before the data is
   * seen) is tried at significance / (grid size) and the best bound kept. 'split': the even-indexed half of each list
   * picks the fraction k+/m, the
   * odd-indexed half is bounded at the full significance (the halves are independent given the inclusion bits).
   */
  selection?: ThresholdSelection;
}

export interface ScoreAuditResult {
  epsilonLower: number;
  method: OneRunMethod;
  selection: ThresholdSelection;
  /** Canaries the bound was computed on (all of them for bonferroni, the bounding half for split). */
  canaries: number;
  kPlus: number;
  kMinus: 0;
  guesses: number;
  correct: number;
  /** The significance the final bound was tested at (significance / hypotheses under bonferroni). */
  testSignificance: number;
  significance: number;
  delta: number;
  /** How many (k+, k-) choices the significance was divided among. */
  hypotheses: number;
}

/** Right guesses among the top k, for k = 0..m; ties rank left-out canaries first (never in the auditor's favour). */
function correctAtTopK(inScores: readonly number[], outScores: readonly number[]): Int32Array {
  const all = [...inScores.map((s) => ({ s, inc: 1 })), ...outScores.map((s) => ({ s, inc: 0 }))];
  all.sort((a, b) => b.s - a.s || a.inc - b.inc);
  const out = new Int32Array(all.length + 1);
  all.forEach((x, i) => (out[i + 1] = out[i]! + x.inc));
  return out;
}

/**
 * The k+ values tried: round(m 2^(-j/2)) for j = 0, 1, ... down to 1, deduplicated. Fixed by m alone, so a union
 * bound over them is valid; a geometric grid loses at most a factor sqrt 2 in k against the best k.
 * @example kGrid(8) // [8, 6, 4, 3, 2, 1]
 */
export function kGrid(m: number): number[] {
  const out: number[] = [];
  for (let j = 0; ; j++) {
    const k = Math.max(1, Math.round(m * 2 ** (-j / 2)));
    if (out[out.length - 1] !== k) out.push(k);
    if (k === 1) return out;
  }
}

function bestOverK(
  correct: Int32Array,
  significance: number,
  delta: number,
  method: OneRunMethod,
  grid: readonly number[],
) {
  const m = correct.length - 1;
  let best = { eps: 0, k: 0 };
  for (const k of grid) {
    const c = correct[k]!;
    // precision no better than a fair coin rejects nothing; skip the search
    if (2 * c <= k) continue;
    const counts = { canaries: m, guesses: k, correct: c, significance, delta, method };
    if (best.eps > 0 && !rejectsClaim(counts, best.eps)) continue; // cannot beat the best so far (monotone in eps)
    const eps = oneRunEpsilonLowerBound(counts);
    if (eps > best.eps) best = { eps, k };
  }
  return best;
}

/**
 * The one-run epsilon lower bound from scores, with k+ chosen honestly (see `selection`).
 * @example
 * auditFromScores({ inScores, outScores, significance: 0.05, delta: 1e-5, method: 'steinke2023' }).epsilonLower
 */
export function auditFromScores(input: ScoreAuditInput): ScoreAuditResult {
  const { inScores, outScores, significance, delta, method } = input;
  const selection = input.selection ?? 'bonferroni';
  if (![...inScores, ...outScores].every(Number.isFinite))
    throw new AuditError('bad_audit', 'scores must be finite numbers');
  const base = { method, selection, kMinus: 0 as const, significance, delta };
  if (selection === 'bonferroni') {
    const m = inScores.length + outScores.length;
    if (m === 0) throw new AuditError('bad_audit', 'no canaries');
    const correct = correctAtTopK(inScores, outScores);
    const grid = kGrid(m);
    const testSignificance = significance / grid.length;
    const best = bestOverK(correct, testSignificance, delta, method, grid);
    return {
      ...base,
      epsilonLower: best.eps,
      canaries: m,
      kPlus: best.k,
      guesses: best.k,
      correct: correct[best.k]!,
      testSignificance,
      hypotheses: grid.length,
    };
  }
  if (selection !== 'split') throw new AuditError('bad_audit', `unknown selection ${String(selection)}`);
  const even = <T>(xs: readonly T[]) => xs.filter((_, i) => i % 2 === 0);
  const odd = <T>(xs: readonly T[]) => xs.filter((_, i) => i % 2 === 1);
  const pick = correctAtTopK(even(inScores), even(outScores));
  const bound = correctAtTopK(odd(inScores), odd(outScores));
  const m1 = pick.length - 1;
  const m2 = bound.length - 1;
  if (m1 === 0 || m2 === 0) throw new AuditError('bad_audit', 'split selection needs at least two canaries');
  // the choosing half is searched at the full significance: its result only picks the fraction, it is not reported
  const chosen = bestOverK(
    pick,
    significance,
    delta,
    method,
    Array.from({ length: m1 }, (_, i) => i + 1),
  );
  const k = chosen.k === 0 ? 0 : Math.max(1, Math.round((chosen.k / m1) * m2));
  const eps =
    k === 0
      ? 0
      : oneRunEpsilonLowerBound({ canaries: m2, guesses: k, correct: bound[k]!, significance, delta, method });
  return {
    ...base,
    epsilonLower: eps,
    canaries: m2,
    kPlus: k,
    guesses: k,
    correct: bound[k]!,
    testSignificance: significance,
    hypotheses: 1,
  };
}
