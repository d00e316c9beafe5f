/**
 * The f-DP analysis of the one-run audit (Mahloujifar, Melis, Chaudhuri 2024, "Auditing f-Differential Privacy in
 * One Run", arXiv:2410.22235, Alg. "audit with reconstruction heuristic and cap"), with the null hypothesis that the
 * mechanism is as private as the Gaussian mechanism that is exactly (eps, delta)-DP.
 */
import { gdpDelta, normCdf, normPpf } from '@dpledger/accounting';

/**
 * mu of the Gaussian mechanism (sensitivity 1, noise 1/mu) that is exactly (eps, delta)-DP: gdpDelta(mu, eps) =
 * delta, increasing in mu (Balle & Wang 2018, Thm. 8; Dong, Roth, Su 2019, Cor. 2.13); bisection to 1e-12.
 * @example gaussianMuFor(1, 1e-5) // ~0.23
 */
export function gaussianMuFor(eps: number, delta: number): number {
  if (delta >= 1) return Infinity;
  let lo = 0;
  let hi = 1;
  while (gdpDelta(hi, eps) < delta) {
    lo = hi;
    hi *= 2;
    if (hi > 1e4) return Infinity;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (gdpDelta(mid, eps) < delta) lo = mid;
    else hi = mid;
  }
  return hi; // the larger mu: a less private null, so a rejection of it is never overstated
}

/**
 * True when `correct` of `guesses` (out of m canaries) reject "the mechanism is (eps, delta)-DP" at `significance`
 * by the f-DP recursion: r = s v / m, h = s (g - v) / m, then for i = v-1 .. 0, h' = max(h, f^-1(r)),
 * r' = min(r + i/(g - i) (h' - h), 1), where f^-1(x) = Phi(Phi^-1(x) - mu) is the inverse blow-up of mu-GDP;
 * rejected when r + h > g / m (Mahloujifar et al. 2024, Alg. 2 and Thm. 9).
 * @example fdpRejects({ canaries: 1000, guesses: 100, correct: 95, eps: 1, delta: 1e-5, significance: 0.05 }) // true
 */
export function fdpRejects(a: {
  canaries: number;
  guesses: number;
  correct: number;
  eps: number;
  delta: number;
  significance: number;
}): boolean {
  const { canaries: m, guesses: g, correct: v, significance: s } = a;
  const mu = gaussianMuFor(a.eps, a.delta);
  const inverseBlowUp = (x: number): number => (mu === Infinity ? (x >= 1 ? 1 : 0) : normCdf(normPpf(x) - mu));
  let r = (s * v) / m;
  let h = (s * (g - v)) / m;
  for (let i = v - 1; i >= 0; i--) {
    const hNext = Math.max(h, inverseBlowUp(r));
    if (hNext === h) break; // neither r nor h can change afterwards
    r = Math.min(r + (i / (g - i)) * (hNext - h), 1);
    h = hNext;
  }
  return r + h > g / m;
}
