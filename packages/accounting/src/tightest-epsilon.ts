/**
 * The epsilon to report when several accountants priced the same ledger at the same delta. Each accountant here
 * returns an upper bound on the true epsilon (RDP: Balle et al. 2020, Thm. 21; PLD: pessimistic connect-the-dots,
 * Doroshenko et al. 2022), so the smallest of them is an upper bound too, and the tightest one we have.
 */
import type { AccountantKind } from './calibration/factories.js';
import { AccountingError } from './errors.js';

/** The bounds computed, by accountant; undefined or null where one was not computed (or cannot analyse the ledger). */
export type EpsilonBounds = Partial<Record<AccountantKind, number | null>>;

/** The reported epsilon and the accountant that gave it. */
export interface TightestEpsilon {
  epsilon: number;
  accountant: AccountantKind;
}

/** Tie order: RDP first (its figure comes with an order a reader can re-check). */
const ORDER: readonly AccountantKind[] = ['rdp', 'pld'];

/**
 * The smallest of the valid epsilon bounds, naming its accountant. A NaN or negative figure is a fault, never a
 * bound: it is skipped, and if nothing valid is left the answer is Infinity (so it can only refuse, never promise).
 * Throws AccountingError('invalid_argument') when no bound was given at all.
 * @example tightestEpsilon({ rdp: 225.64, pld: 214.88 }) // { epsilon: 214.88, accountant: 'pld' }
 */
export function tightestEpsilon(bounds: EpsilonBounds): TightestEpsilon {
  let best: TightestEpsilon | undefined;
  let first: AccountantKind | undefined;
  for (const accountant of ORDER) {
    const epsilon = bounds[accountant];
    if (epsilon === undefined || epsilon === null) continue;
    first ??= accountant;
    if (!(epsilon >= 0)) continue; // NaN or negative: a fault in that accountant
    if (best === undefined || epsilon < best.epsilon) best = { epsilon, accountant };
  }
  if (first === undefined)
    throw new AccountingError('invalid_argument', 'tightestEpsilon needs at least one bound (rdp or pld)');
  return best ?? { epsilon: Infinity, accountant: first };
}
