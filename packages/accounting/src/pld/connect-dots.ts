/**
 * Pessimistic connect-the-dots discretisation (Doroshenko, Ghazi, Kamath, Kumar, Manurangsi 2022, "Connect the
 * Dots: Tighter Discrete Approximations of Privacy Loss Distributions", Algorithm 1, on a uniform grid).
 */
import { MAX_BINS, withNarrowed, type Pmf } from './pmf.js';

/**
 * The PMF supported on grid points lo..hi (times `interval`) plus +infinity whose hockey-stick curve passes
 * through the exact (eps_i, delta(eps_i)) points and dominates the true curve in between. With d = interval:
 *   p_lo = 1 - delta_lo + (delta_{lo+1} - delta_lo)/(e^d - 1),
 *   p_i  = ((delta_{i+1} - delta_i) - e^d (delta_i - delta_{i-1}))/(e^d - 1),
 *   p_hi = (delta_hi - delta_{hi-1})/(e^{-d} - 1),   infinity = delta_hi   (Doroshenko et al. 2022, Alg. 1).
 * A grid wider than MAX_BINS keeps its top MAX_BINS points; the mass below is lumped on the lowest (pessimistic).
 * @example connectTheDots((eps) => Math.max(0, -Math.expm1(eps - 1)) * 0.5, 1e-2, -100, 100)
 */
export function connectTheDots(delta: (eps: number) => number, interval: number, lo: number, hi: number): Pmf {
  const first = Math.max(lo, hi - MAX_BINS + 1);
  const n = hi - first + 1;
  const deltas = new Float64Array(n);
  let running = 1;
  for (let i = 0; i < n; i++) {
    // Hockey-stick divergence is non-increasing in eps; a running minimum removes round-off wiggles.
    running = Math.min(running, delta((first + i) * interval));
    deltas[i] = running;
  }
  const probs = new Float64Array(n);
  if (n === 1) {
    probs[0] = 1 - deltas[0]!;
    return withNarrowed({ offset: first, probs, infinityMass: deltas[0]! }, first > lo);
  }
  const em1 = Math.expm1(interval);
  const ed = Math.exp(interval);
  probs[0] = 1 - deltas[0]! + (deltas[1]! - deltas[0]!) / em1;
  for (let i = 1; i < n - 1; i++) {
    probs[i] = (deltas[i + 1]! - deltas[i]! - ed * (deltas[i]! - deltas[i - 1]!)) / em1;
  }
  probs[n - 1] = (deltas[n - 1]! - deltas[n - 2]!) / Math.expm1(-interval);
  for (let i = 0; i < n; i++) if (!(probs[i]! > 0)) probs[i] = 0;
  return withNarrowed({ offset: first, probs, infinityMass: deltas[n - 1]! }, first > lo);
}
