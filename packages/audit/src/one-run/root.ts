/** Root finding for the one-run audit: the largest epsilon a test still rejects. */

/**
 * The largest eps >= 0 with `rejects(eps)` true, for a predicate true on [0, e*) and false above (0 when it is
 * false at 0). Doubling to bracket, then bisection to an absolute width of `tol`; returns the lower end, so the
 * answer never exceeds the true root.
 * @example largestRejected((e) => e < 2) // ~2 (from below)
 */
export function largestRejected(rejects: (eps: number) => boolean, tol = 1e-10): number {
  if (!rejects(0)) return 0;
  let lo = 0;
  let hi = 1;
  while (rejects(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > 1e6) return lo; // a claim rejected at eps = 5e5 is rejected for every finite eps worth stating
  }
  while (hi - lo > tol * Math.max(1, lo)) {
    const mid = (lo + hi) / 2;
    if (rejects(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
