/**
 * Invariants the ledger engine defends itself, without trusting the HTTP layer: repetition counts are integers
 * in the wire's range (400 when not), an RDP vector never shrinks and is never NaN, and a budget's spent epsilon
 * never decreases (500 `internal` when a computed state would break either; the transaction rolls back).
 */
import { ServiceError } from '../errors.js';
import type { BudgetRow } from '../store/store.js';
import { LIMITS as SERVICE_LIMITS } from './limits.js';

/** The wire's limits (openapi.yaml; invariants.test.ts checks they match). */
export const LIMITS = Object.freeze({
  /** EventAppend.events maxItems. */
  events: SERVICE_LIMITS.recordsPerRequest,
  /** ReservationCreate.steps maximum (ReservationCommit.used has the same). */
  steps: SERVICE_LIMITS.stepsPerReservation,
  /** ReservationCreate.ttl_seconds maximum. */
  ttlSeconds: 86_400,
});

/**
 * Returns `value` when it is a safe integer in [min, max], else throws ServiceError('validation_failed').
 * @example assertCount(used, 0, LIMITS.steps, '/used')
 */
export function assertCount(
  value: unknown,
  min: number,
  max: number,
  pointer: string,
  name = pointer.slice(1),
): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ServiceError('validation_failed', `${name} must be an integer in [${min}, ${max}]`, { pointer });
  }
  return value;
}

/** Throws `internal` unless every order of `vec` is a number >= 0 (Infinity allowed: a non-private event). */
export function assertRdpNonNegative(vec: readonly number[], what: string): void {
  if (!vec.every((v) => v >= 0)) throw new ServiceError('internal', `${what}: an RDP value is negative or NaN`);
}

/**
 * Throws `internal` unless `next` is `prev` plus a non-negative, non-NaN increment at every order.
 * @example assertRdpGrows(budget.rdp, committedRdp, `budget ${budget.id}`)
 */
export function assertRdpGrows(prev: readonly number[], next: readonly number[], what: string): void {
  if (next.length !== prev.length) throw new ServiceError('internal', `${what}: the RDP vector changed length`);
  for (let i = 0; i < next.length; i++) {
    // Infinity - Infinity is NaN: an infinite order stays infinite, which is growth.
    if (!(next[i]! >= prev[i]!)) throw new ServiceError('internal', `${what}: an RDP increment is negative or NaN`);
  }
}

/**
 * The budget row to store after `prev`, checked: its RDP vector only grows and its spent epsilon never decreases.
 * A `pld` budget may be priced by RDP at one write and by the (tighter) PLD accountant at the next; both are
 * upper bounds on the true epsilon, so keeping the larger figure stays an upper bound and never goes down.
 * @example await tx.updateBudget(nextBudget(budget, { ...budget, rdp, ...eps }))
 */
export function nextBudget(prev: BudgetRow, next: BudgetRow): BudgetRow {
  assertRdpGrows(prev.rdp, next.rdp, `budget ${prev.id}`);
  const pld = prev.accountant === 'pld';
  const keepPrev = pld && prev.epsilon_spent > next.epsilon_spent;
  const spent = keepPrev ? prev.epsilon_spent : next.epsilon_spent;
  const spentBy = keepPrev ? prev.spent_accountant : next.spent_accountant;
  // Raising reserved to spent cannot pass the limit: the old spent was within it when it was stored.
  const raise = pld && spent > next.epsilon_reserved;
  const reserved = raise ? spent : next.epsilon_reserved;
  if (!(spent >= prev.epsilon_spent))
    throw new ServiceError(
      'internal',
      `budget ${prev.id}: spent epsilon would decrease from ${prev.epsilon_spent} to ${spent}`,
    );
  if (!(reserved >= spent))
    throw new ServiceError('internal', `budget ${prev.id}: reserved epsilon ${reserved} is below spent ${spent}`);
  const out: BudgetRow = { ...next, epsilon_spent: spent, epsilon_reserved: reserved };
  if (spentBy !== undefined) out.spent_accountant = spentBy;
  if (raise && spentBy !== undefined) out.reserved_accountant = spentBy;
  return out;
}
