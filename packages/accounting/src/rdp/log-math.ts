/** Log-space arithmetic for the RDP series: signed sums without overflow, and the normal tail in log space. */
import { normLogCdf } from '../pld/normal.js';

/** log(exp(a) + exp(b)) without overflow. @example logAdd(0, 0) // Math.LN2 */
export function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(Math.min(a, b) - m));
}

/** log(expm1(x)) for x > 0, accurate for tiny and huge x. @example logExpm1(1e-20) // log(1e-20) */
export function logExpm1(x: number): number {
  return x > 50 ? x + Math.log1p(-Math.exp(-x)) : Math.log(Math.expm1(x));
}

const EPS = Number.EPSILON;

/**
 * A sum of signed terms given as (log magnitude, sign, absolute error of that log). The total is formed once at
 * the end relative to the largest term (no overflow, no early rounding), and `upperLog` adds a bound on the
 * accumulated rounding error so that the result is never below the exact sum.
 */
export class SignedLogSum {
  private readonly logs: number[] = [];
  private readonly signs: number[] = [];
  private readonly errs: number[] = [];
  private max = -Infinity;

  /** Adds sign * exp(logMagnitude), where logMagnitude is known to within +-logError. */
  add(logMagnitude: number, sign: 1 | -1, logError = 0): void {
    if (logMagnitude === -Infinity) return;
    this.logs.push(logMagnitude);
    this.signs.push(sign);
    this.errs.push(logError);
    if (logMagnitude > this.max) this.max = logMagnitude;
  }

  /** log of (exact total + a bound on its rounding error); -Infinity when empty, Infinity when not computable. */
  upperLog(): number {
    if (this.max === -Infinity) return -Infinity;
    // Neumaier (Kahan-Babuska) summation: error <= (2 + n eps) eps sum |x| (Higham 2002, Sec. 4.3), whatever n.
    let total = 0;
    let compensation = 0;
    let abs = 0;
    let err = 0;
    for (let i = 0; i < this.logs.length; i++) {
      const v = Math.exp(this.logs[i]! - this.max);
      const x = this.signs[i]! > 0 ? v : -v;
      const t = total + x;
      compensation += Math.abs(total) >= Math.abs(x) ? total - t + x : x - t + total;
      total = t;
      abs += v;
      err += v * (Math.expm1(this.errs[i]!) + 4 * EPS);
    }
    const bound = err + (2 + this.logs.length * EPS) * EPS * abs;
    const sum = total + compensation + bound;
    if (Number.isNaN(sum) || this.max === Infinity) return Infinity; // never silently optimistic
    return this.max + Math.log(sum > bound ? sum : bound); // a sum below its rounding bound is reported as that bound
  }
}

/**
 * log of the standard normal upper tail P(Z > x) (Q function), via the shared normal helpers. @example logNormalTail(0)
 * // -Math.LN2
 */
export function logNormalTail(x: number): number {
  return normLogCdf(-x);
}
