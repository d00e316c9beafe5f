/**
 * The one-run audit test of Steinke, Nasr and Jagielski 2023 ("Privacy Auditing with One (1) Training Run",
 * NeurIPS; arXiv:2305.08846). m canaries are each included independently with probability 1/2; the auditor makes
 * r guesses and W of them are right. Under (eps, delta)-DP, W is dominated by Binomial(r, e^eps / (1 + e^eps)) up to
 * a delta term.
 */
import { binomialPmf, logisticLogs } from './binomial-tail.js';

/**
 * The p-value of `correct` right guesses out of `guesses` under the null "(eps, delta)-DP":
 * beta + 2 m delta alpha, with beta = P[Bin(r, q) >= v] and alpha = max_{1<=i<=v} P[v - i <= Bin(r, q) < v] / i,
 * q = e^eps / (1 + e^eps) (Steinke, Nasr, Jagielski 2023, Thm. 5.2 / Prop. 5.7), capped at 1.
 * @example steinkePValue({ canaries: 1000, guesses: 100, correct: 90, eps: 1, delta: 0 }) // ~1.6e-6
 */
export function steinkePValue(a: {
  canaries: number;
  guesses: number;
  correct: number;
  eps: number;
  delta: number;
}): number {
  const { canaries: m, guesses: r, correct: v, eps, delta } = a;
  if (v === 0) return 1;
  const { logP, logQ } = logisticLogs(eps);
  const pmf = binomialPmf(r, logP, logQ);
  let beta = 0;
  for (let k = r; k >= v; k--) beta += pmf[k]!; // smallest terms first
  if (delta === 0) return Math.min(1, beta);
  let alpha = 0;
  let window = 0; // P[v - i <= X < v], grown one term at a time (no cancellation)
  for (let i = 1; i <= v; i++) {
    window += pmf[v - i]!;
    alpha = Math.max(alpha, window / i);
  }
  return Math.min(1, beta + 2 * m * delta * alpha);
}
