/**
 * The budget check: RDP for every budget (incremental, see rdp-meter.ts); for a `pld` budget the PLD
 * accountant is consulted only when the RDP bound alone would refuse, because both are valid upper bounds on
 * the true epsilon and PLD recomposes the budget's whole (run-length merged) ledger.
 */
import { AccountingError, stableKey, type DpEvent, type NeighboringRelation } from '@dpledger/accounting';
import { ServiceError } from '../errors.js';
import type { BudgetRow } from '../store/store.js';
import { figures, type Figures } from './figures.js';
import { RdpMeter } from './rdp-meter.js';

/** Epsilon at `delta` of a ledger by the PLD accountant. */
export type PldEpsilon = (relation: NeighboringRelation, ledger: readonly DpEvent[], delta: number) => number;

/** PLD results kept (a refused request repeated by many clients asks the same question). */
const PLD_CACHE_LIMIT = 256;

export class Meters {
  private readonly rdpMeters = new Map<NeighboringRelation, RdpMeter>();
  private readonly pldCache = new Map<string, number>();

  constructor(private readonly pld: PldEpsilon) {}

  /** The (cached) RDP meter of a neighbouring relation. */
  rdp(relation: NeighboringRelation): RdpMeter {
    let m = this.rdpMeters.get(relation);
    if (m === undefined) {
      m = new RdpMeter(relation);
      this.rdpMeters.set(relation, m);
    }
    return m;
  }

  /** PLD epsilon of a ledger at `delta` (memoized: a PLD composition is costly). */
  pldEpsilon(relation: NeighboringRelation, ledger: readonly DpEvent[], delta: number): number {
    const key = `${relation} ${delta} ${stableKey(ledger)}`;
    const hit = this.pldCache.get(key);
    if (hit !== undefined) return hit;
    const raw = orInfinity(() => this.pld(relation, ledger, delta));
    // A NaN or negative figure is a fault in the accountant: count it as infinite, so it can only refuse.
    const eps = raw >= 0 ? raw : Infinity;
    if (this.pldCache.size >= PLD_CACHE_LIMIT) this.pldCache.delete(this.pldCache.keys().next().value as string);
    this.pldCache.set(key, eps);
    return eps;
  }
}

/**
 * PLD's figure, or Infinity when PLD cannot price the ledger (an AccountingError such as unsupported_event for a
 * zcdp event that RDP accepted): then only the RDP bound decides, and a refusal is 409, not a 500.
 */
function orInfinity(pld: () => number): number {
  try {
    return pld();
  } catch (err) {
    if (err instanceof AccountingError) return Infinity;
    throw err;
  }
}

/** A proposed budget state: committed events and what open reservations still hold. */
export interface Proposal {
  committedRdp: readonly number[];
  heldRdp: readonly number[];
  committedLedger: readonly DpEvent[];
  /** Open reservations as events, for the PLD check. */
  heldEvents: readonly DpEvent[];
}

/**
 * Epsilon spent and reserved by a proposal (with the accountant of each, see figures.ts), or
 * ServiceError('budget_exhausted') when it exceeds the budget.
 * Never refuses what fits by RDP; a `pld` budget may accept more (when PLD is tighter), never less.
 */
export function assess(meters: Meters, budget: BudgetRow, p: Proposal): Figures {
  const { fits, ...f } = figures(meters, budget, p);
  if (!fits) {
    throw new ServiceError('budget_exhausted', `budget ${budget.id} would reach epsilon ${f.epsilon_reserved} > ${budget.epsilon}`, {
      epsilon_spent: budget.epsilon_spent,
      epsilon_requested: Number.isFinite(f.epsilon_reserved) ? f.epsilon_reserved : Number.MAX_VALUE,
      epsilon_limit: budget.epsilon,
    });
  }
  return f;
}

/**
 * Figures of a proposal that is never refused: steps already taken (a commit, or a hold logged at expiry or
 * close) are recorded whatever they cost. `assess` is the check before release.
 * @example const { epsilon_spent } = measure(meters, budget, { committedRdp, heldRdp, committedLedger, heldEvents })
 */
export function measure(meters: Meters, budget: BudgetRow, p: Proposal): Figures {
  const { fits: _fits, ...f } = figures(meters, budget, p);
  return f;
}
