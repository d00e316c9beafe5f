/** RDP -> (epsilon, delta) conversion, with the order that attains the optimum. */
import { AccountingError } from '../errors.js';

/** An epsilon or delta together with the RDP order that attains it. */
export interface AtOrder {
  value: number;
  /** The optimal order; NaN when no order applies (empty RDP curve, delta = 0). */
  order: number;
}

function checkLengths(orders: ArrayLike<number>, rdp: ArrayLike<number>): void {
  if (orders.length !== rdp.length)
    throw new AccountingError('invalid_argument', 'orders and rdp must have the same length');
}

/**
 * Smallest epsilon over orders such that the RDP curve implies (epsilon, delta)-DP:
 * eps(a) = r + log1p(-1/a) - (log(delta) + log(a)) / (a - 1) (Balle et al. 2020, Thm. 21; Canonne, Kamath,
 * Steinke 2020, Prop. 12), and eps = 0 where delta^2 > 1 - e^{-r} (r >= KL and TV <= sqrt(1 - e^{-KL}),
 * Bretagnolle-Huber), as dp_accounting's compute_epsilon. Orders <= 1.01 use only the KL shortcut.
 * @example rdpToEpsilon([2, 4], [0.1, 0.3], 1e-5) // { value: ..., order: 4 }
 */
export function rdpToEpsilon(orders: ArrayLike<number>, rdp: ArrayLike<number>, delta: number): AtOrder {
  checkLengths(orders, rdp);
  if (!(delta >= 0 && delta <= 1))
    throw new AccountingError('invalid_argument', `delta must be in [0, 1], got ${delta}`);
  if (orders.length === 0 || Array.prototype.every.call(rdp, (r: number) => r === 0))
    return { value: 0, order: orders[0] ?? NaN };
  if (delta === 0) return { value: Infinity, order: NaN };
  let best = Infinity;
  let bestOrder = NaN;
  const logDelta = Math.log(delta);
  for (let i = 0; i < orders.length; i++) {
    const a = orders[i]!;
    const r = Math.max(0, rdp[i]!);
    let eps: number;
    if (delta * delta + Math.expm1(-r) > 0) eps = 0;
    else if (a > 1.01) eps = r + Math.log1p(-1 / a) - (logDelta + Math.log(a)) / (a - 1);
    else eps = Infinity;
    if (eps < best || Number.isNaN(bestOrder)) {
      best = eps;
      bestOrder = a;
    }
  }
  return { value: Math.max(0, best), order: bestOrder };
}

/**
 * Smallest delta over orders such that the RDP curve implies (epsilon, delta)-DP:
 * log delta(a) = (a - 1)(r - eps + log1p(-1/a)) - log(a) (Canonne, Kamath, Steinke 2020, Prop. 12), and
 * delta <= sqrt(1 - e^{-r}) (KL bound), as dp_accounting's compute_delta.
 * @example rdpToDelta([2, 4], [0.1, 0.3], 1) // { value: ..., order: ... }
 */
export function rdpToDelta(orders: ArrayLike<number>, rdp: ArrayLike<number>, epsilon: number): AtOrder {
  checkLengths(orders, rdp);
  if (!(epsilon >= 0)) throw new AccountingError('invalid_argument', `epsilon must be >= 0, got ${epsilon}`);
  let best = Infinity;
  let bestOrder = NaN;
  for (let i = 0; i < orders.length; i++) {
    const a = orders[i]!;
    const r = Math.max(0, rdp[i]!);
    let logDelta = r === 0 ? -Infinity : 0.5 * Math.log1p(-Math.exp(-r));
    if (a > 1.01) logDelta = Math.min(logDelta, (a - 1) * (r - epsilon + Math.log1p(-1 / a)) - Math.log(a));
    if (logDelta < best || Number.isNaN(bestOrder)) {
      best = logDelta;
      bestOrder = a;
    }
  }
  if (orders.length === 0) return { value: 0, order: NaN };
  return { value: Math.min(1, Math.exp(best)), order: bestOrder };
}
