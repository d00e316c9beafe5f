/**
 * Holds become ledger records, never silently dropped. A reservation's steps count against its budget from
 * reserve time; a commit turns `used` of them into event records, and a reservation that expires (or whose run
 * closes) uncommitted is logged with every reserved step counted as used, at the moment that is noticed: any
 * write or read of the tenant's budgets, runs or events, and the close of the run. Recording steps already taken
 * is never refused on budget grounds; a budget left spent beyond its limit is flagged (overspent) instead.
 */
import type { DpEvent } from '@dpledger/accounting';
import { ServiceError } from '../errors.js';
import type { BudgetRow, ReservationRow, RunRow, WriteTx } from '../store/store.js';
import { mergeLedger, type AppendAnswer, type EngineDeps, type EventRun } from './engine.js';
import { mergeUnordered } from './budget-ledger.js';
import { nextBudget } from './invariants.js';
import { measure } from './meters.js';

/** The answer to a commit: an append's answer and how many of the reservation's steps are in the ledger. */
export type CommitAnswer = AppendAnswer & { logged_steps: number };

/** True when a budget's spent epsilon exceeds its limit (only a bug or an expiry race can make it so). */
export function isOverspent(budget: Pick<BudgetRow, 'epsilon' | 'epsilon_spent'>): boolean {
  return budget.epsilon_spent > budget.epsilon;
}

async function rowsOf(tx: WriteTx, res: ReservationRow): Promise<{ run: RunRow; budget: BudgetRow }> {
  const run = await tx.getRun(res.tenant, res.run_id);
  const budget = await tx.getBudget(res.tenant, res.budget_id);
  if (run === undefined || budget === undefined)
    throw new ServiceError('internal', `run or budget of reservation ${res.id} is missing`);
  return { run, budget };
}

/**
 * Logs `used` invocations of an open reservation's event as records of its run (gap-free sequence numbers),
 * releases the rest of its hold and marks it `status`. Never refuses: the steps were taken (or, at expiry and
 * close, may have been), so they are recorded; an overspend is reported to `deps.onOverspend`.
 * @example await recordHold(deps, tx, reservation, 87, 'committed')
 */
export async function recordHold(
  deps: EngineDeps,
  tx: WriteTx,
  res: ReservationRow,
  used: number,
  status: 'committed' | 'expired',
): Promise<CommitAnswer> {
  const { run, budget } = await rowsOf(tx, res);
  const meter = deps.meters.rdp(budget.neighboring_relation);
  const others = (await tx.openReservations(budget.id)).filter((r) => r.id !== res.id);
  const runs: EventRun[] = used > 0 ? [{ event: res.event, count: used, first: 0 }] : [];
  const committedRdp = meter.addRuns(budget.rdp, runs);
  const committedLedger = mergeUnordered(budget.ledger, runs);
  const heldRdp = others.reduce((acc, r) => meter.add(acc, [r.event], r.steps), meter.zero());
  const heldEvents = others.map((r): DpEvent => ({ kind: 'self_composed', count: r.steps, event: r.event }));
  const eps = measure(deps.meters, budget, { committedRdp, heldRdp, committedLedger, heldEvents });

  const recordedAt = deps.now().toISOString();
  const first = run.event_count;
  // One event object for all records, so the store serializes it once.
  await tx.insertEvents(
    Array.from({ length: used }, (_, j) => ({
      sequence: first + j,
      run_id: run.id,
      event: res.event,
      recorded_at: recordedAt,
    })),
  );
  await tx.setReservationStatus(res.id, status);
  const runRdp = meter.addRuns(run.rdp, runs);
  const nextRun: RunRow = {
    ...run,
    event_count: first + used,
    rdp: runRdp,
    ledger: mergeLedger(run.ledger, runs),
    epsilon_spent: meter.epsilon(runRdp, budget.delta).epsilon,
  };
  await tx.updateRun(nextRun);
  const stored = nextBudget(budget, { ...budget, rdp: committedRdp, ledger: committedLedger, ...eps });
  await tx.updateBudget(stored);
  if (isOverspent(stored) && !isOverspent(budget)) deps.onOverspend?.(stored);
  return answerOf(nextRun, stored, used);
}

/** The answer describing a run and its budget as they stand, for a reservation with `logged` steps in the ledger. */
export function answerOf(run: RunRow, budget: BudgetRow, logged: number): CommitAnswer {
  return {
    sequence: run.event_count - 1,
    event_count: run.event_count,
    epsilon_spent: budget.epsilon_spent,
    epsilon_remaining: Math.max(0, budget.epsilon - budget.epsilon_reserved),
    run_epsilon_spent: run.epsilon_spent,
    accountants: {
      epsilon_spent: budget.spent_accountant ?? 'rdp',
      epsilon_remaining: budget.reserved_accountant ?? 'rdp',
      run_epsilon_spent: 'rdp',
    },
    logged_steps: logged,
  };
}

/**
 * Logs every open reservation of a budget that has expired at `now` (all reserved steps used), oldest first.
 * @example const n = await logExpired(deps, tx, budget.id, deps.now())
 */
export async function logExpired(deps: EngineDeps, tx: WriteTx, budgetId: string, now: Date): Promise<number> {
  const due = (await tx.openReservations(budgetId)).filter((r) => Date.parse(r.expires_at) <= now.getTime());
  for (const r of due) await recordHold(deps, tx, r, r.steps, 'expired');
  return due.length;
}

/**
 * Logs the expired reservations of a tenant's budgets in one write transaction of its own (so a request
 * refused afterwards cannot roll the logging back). A cheap read first: no write when nothing is due.
 * @example await logDue(ctx.engine, tenant) // before reading or writing the tenant's budgets, runs or events
 */
export async function logDue(deps: EngineDeps, tenant: string): Promise<void> {
  const now = deps.now();
  const budgets = await deps.store.dueBudgets(tenant, now.toISOString());
  if (budgets.length === 0) return;
  // As many records as the due reservations hold: heavier than any group's room, so it is committed alone.
  await deps.store.write(
    async (tx) => {
      for (const id of budgets) await logExpired(deps, tx, id, now);
    },
    { tenant, records: Infinity },
  );
}

/**
 * Wraps a tenant-scoped reader (e.g. the dashboard's source) so each tenant read first logs due reservations.
 * @example const source = loggingDueFirst(deps, storeSource(store, keys), ['listBudgets', 'listRuns'])
 */
export function loggingDueFirst<T extends object, K extends keyof T>(
  deps: EngineDeps,
  reader: T,
  methods: readonly K[],
): T {
  const out = { ...reader };
  for (const m of methods) {
    const fn = reader[m] as unknown as (tenant: string, ...rest: unknown[]) => Promise<unknown>;
    (out as Record<K, unknown>)[m] = async (tenant: string, ...rest: unknown[]) => {
      await logDue(deps, tenant);
      return fn.call(reader, tenant, ...rest);
    };
  }
  return out;
}
