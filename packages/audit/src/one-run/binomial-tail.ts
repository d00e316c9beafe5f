/** Binomial probabilities in log space for the one-run audit's hypothesis tests. */

const logFactorials: number[] = [0];

/** log k! by a cumulative table (exact enough: the rounding error grows like k * 1e-16 in an O(k log k) value). */
function logFactorial(k: number): number {
  for (let i = logFactorials.length; i <= k; i++) logFactorials.push(logFactorials[i - 1]! + Math.log(i));
  return logFactorials[k]!;
}

/**
 * The probability mass of Binomial(n, p) at 0..n, with p given by log p and log(1 - p) so that p near 1
 * (e^eps / (1 + e^eps) at large eps) keeps its precision.
 * @example binomialPmf(2, Math.log(0.5), Math.log(0.5)) // [0.25, 0.5, 0.25]
 */
export function binomialPmf(n: number, logP: number, logQ: number): Float64Array {
  const out = new Float64Array(n + 1);
  const lfn = logFactorial(n);
  // P[X = k] = C(n, k) p^k (1-p)^(n-k)
  for (let k = 0; k <= n; k++)
    out[k] = Math.exp(lfn - logFactorial(k) - logFactorial(n - k) + k * logP + (n - k) * logQ);
  return out;
}

/**
 * log p and log(1 - p) of the logistic p = e^eps / (1 + e^eps), stable for every eps >= 0.
 * @example logisticLogs(0) // { logP: -0.693..., logQ: -0.693... }
 */
export function logisticLogs(eps: number): { logP: number; logQ: number } {
  const l = Math.log1p(Math.exp(-eps));
  return { logP: -l, logQ: -eps - l };
}
