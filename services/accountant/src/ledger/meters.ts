/**
 * The budget check: RDP for every budget (incremental, see rdp-meter.ts); for a `pld` budget the PLD
 * accountant is consulted only when the RDP bound alone would refuse, because both are valid upper bounds on
 * the true epsilon and PLD recomposes the budget's whole ledger. The PLD accountant may answer asynchronously
 * (a worker thread with a time limit, pld-worker.ts): a check inside a write transaction never waits for it;
 * it refuses by the RDP bound and hands the pending PLD figures to `withPld`, which awaits them outside the
 * transaction and runs the operation once more. A PLD figure that fails or times out counts as infinite, so
 * the RDP verdict stands.
 */
import { createHash } from 'node:crypto';
import { AccountingError, stableKey, type DpEvent, type NeighboringRelation } from '@dpledger/accounting';
import { ServiceError } from '../errors.js';
import type { BudgetRow } from '../store/store.js';
import { figures, type Figures, type Proposal } from './figures.js';
import { RdpMeter } from './rdp-meter.js';

/** Epsilon at `delta` of a ledger by the PLD accountant, computed inline or by a worker. */
export type PldEpsilon = (
  relation: NeighboringRelation,
  ledger: readonly DpEvent[],
  delta: number,
) => number | Promise<number>;

/** A cached PLD figure, or the computation of one still running. */
export type PldLookup = { value: number } | { pending: Promise<number> };

const PENDING = Symbol('pending PLD figures');

/**
 * Runs `op` (a whole write transaction); when it was refused only because PLD figures were still being
 * computed, waits for them (outside the transaction) and runs it once more. A refused operation wrote nothing.
 * @example await withPld(() => store.write((tx) => logEvents(...)))
 */
export async function withPld<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    const pending = (err as { [PENDING]?: Promise<number>[] } | null)?.[PENDING];
    if (pending === undefined) throw err;
    await Promise.allSettled(pending);
    return op();
  }
}

/** PLD results kept (a refused request repeated by many clients asks the same question). */
const PLD_CACHE_LIMIT = 256;

export class Meters {
  private readonly rdpMeters = new Map<NeighboringRelation, RdpMeter>();
  private readonly pldCache = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<number>>();

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

  private remember(key: string, raw: number): number {
    // A NaN or negative figure is a fault in the accountant: count it as infinite, so it can only refuse.
    const eps = raw >= 0 ? raw : Infinity;
    if (this.pldCache.size >= PLD_CACHE_LIMIT) this.pldCache.delete(this.pldCache.keys().next().value as string);
    this.pldCache.set(key, eps);
    return eps;
  }

  /**
   * The PLD figure of a ledger at `delta` if known (memoized: a PLD composition is costly), else the running
   * computation (started now if needed). A synchronous accountant answers at once.
   * @example const r = meters.pldLookup('add_or_remove_one', ledger, 1e-5); if ('value' in r) use(r.value);
   */
  pldLookup(relation: NeighboringRelation, ledger: readonly DpEvent[], delta: number): PldLookup {
    // Hashed: a budget ledger can be long, and the key is kept.
    const key = createHash('sha256')
      .update(`${relation} ${delta} ${stableKey(ledger)}`)
      .digest('base64');
    const hit = this.pldCache.get(key);
    if (hit !== undefined) return { value: hit };
    const running = this.inflight.get(key);
    if (running !== undefined) return { pending: running };
    const raw = orInfinity(() => this.pld(relation, ledger, delta));
    if (typeof raw === 'number') return { value: this.remember(key, raw) };
    // A worker that fails or runs out of time gives no figure: infinite, so the RDP bound decides.
    const pending = raw
      .then(
        (v) => this.remember(key, v),
        () => this.remember(key, Infinity),
      )
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, pending);
    return { pending };
  }

  /** PLD epsilon of a ledger at `delta` if known now; Infinity (no PLD figure) while a worker computes it. */
  pldEpsilon(relation: NeighboringRelation, ledger: readonly DpEvent[], delta: number): number {
    const r = this.pldLookup(relation, ledger, delta);
    return 'value' in r ? r.value : Infinity;
  }

  /** PLD epsilon of a ledger at `delta`, waiting for the worker (Infinity when it fails or times out). */
  async pldEpsilonSettled(relation: NeighboringRelation, ledger: readonly DpEvent[], delta: number): Promise<number> {
    const r = this.pldLookup(relation, ledger, delta);
    return 'value' in r ? r.value : r.pending;
  }
}

/**
 * PLD's figure, or Infinity when PLD cannot price the ledger (an AccountingError such as unsupported_event for a
 * zcdp event that RDP accepted): then only the RDP bound decides, and a refusal is 409, not a 500.
 */
function orInfinity(pld: () => number | Promise<number>): number | Promise<number> {
  try {
    return pld();
  } catch (err) {
    if (err instanceof AccountingError) return Infinity;
    throw err;
  }
}

/**
 * Epsilon spent and reserved by a proposal (with the accountant of each, see figures.ts), or
 * ServiceError('budget_exhausted') when it exceeds the budget. Never refuses what fits by RDP; a `pld` budget may
 * accept more (when PLD is tighter), never less. A PLD figure still being computed counts as infinite here and
 * rides on the refusal, so `withPld` can wait for it outside the transaction and try once more.
 */
export function assess(meters: Meters, budget: BudgetRow, p: Proposal): Figures {
  const pending: Promise<number>[] = [];
  const pld = (ledger: readonly DpEvent[]): number => {
    const r = meters.pldLookup(budget.neighboring_relation, ledger, budget.delta);
    if ('value' in r) return r.value;
    pending.push(r.pending);
    return Infinity;
  };
  const { fits, ...f } = figures(meters, budget, p, pld);
  if (!fits) {
    const err = new ServiceError(
      'budget_exhausted',
      `budget ${budget.id} would reach epsilon ${f.epsilon_reserved} > ${budget.epsilon}`,
      {
        epsilon_spent: budget.epsilon_spent,
        epsilon_requested: Number.isFinite(f.epsilon_reserved) ? f.epsilon_reserved : Number.MAX_VALUE,
        epsilon_limit: budget.epsilon,
      },
    );
    if (pending.length > 0) Object.defineProperty(err, PENDING, { value: pending });
    throw err;
  }
  return f;
}

/**
 * Figures of a proposal that is never refused: steps already taken (a commit, or a hold logged at expiry or
 * close) are recorded whatever they cost. \`assess\` is the check before release. A PLD figure not ready yet
 * counts as infinite, so the (valid, higher) RDP figure is stored.
 * @example const { epsilon_spent } = measure(meters, budget, { committedRdp, heldRdp, committedLedger, heldEvents })
 */
export function measure(meters: Meters, budget: BudgetRow, p: Proposal): Figures {
  const { fits: _fits, ...f } = figures(meters, budget, p);
  return f;
}
