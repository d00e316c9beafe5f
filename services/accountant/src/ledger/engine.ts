/**
 * The write path: every operation is one store transaction that re-reads the budget, prices the request,
 * checks it against the limit and only then writes (filter before release). A refused request writes nothing.
 */
import { AccountingError, Ledger, assertDpEvent, stableKey, type DpEvent } from '@dpledger/accounting';
import { ServiceError } from '../errors.js';
import type { BudgetRow, ReservationRow, RunRow, Store, WriteTx } from '../store/store.js';
import { LIMITS, assertCount, assertRdpGrows, assertRdpNonNegative, nextBudget } from './invariants.js';
import { admit } from './admit.js';
import { mergeUnordered } from './budget-ledger.js';
import { checkRunLimits } from './limits.js';
import { assess, withPld, type Meters } from './meters.js';

export interface EngineDeps {
  store: Store;
  meters: Meters;
  now: () => Date;
  /** Called (to log and count it) when recording steps already taken left a budget spent beyond its limit. */
  onOverspend?: (budget: BudgetRow) => void;
}

/** Who asks, and the idempotency key and request fingerprint when the request carries one. */
export interface Caller {
  tenant: string;
  idempotency?: { key: string; hash: string };
  /** Set for a run-scoped token: the one run it may touch (http/guards.ts). */
  run?: string;
}

export interface AppendAnswer {
  sequence: number;
  event_count: number;
  epsilon_spent: number;
  epsilon_remaining: number;
  run_epsilon_spent: number;
  /** The accountant of each figure above. */
  accountants: {
    epsilon_spent: BudgetRow['accountant'];
    epsilon_remaining: BudgetRow['accountant'];
    run_epsilon_spent: 'rdp';
  };
}

/** A run of identical consecutive events: `event` `count` times, starting at request index `first`. */
export interface EventRun {
  event: DpEvent;
  count: number;
  first: number;
}

/**
 * Groups consecutive identical events of one request (a batch of DP-SGD steps is one run), so pricing and ledger
 * merging cost per distinct run, not per event. Unlike the ledger's merging (`Ledger`), it keeps each event as
 * sent (a self_composed is not unwrapped) and its request index, so a refusal points into the event as sent.
 * @example runsOf([a, a, b]) // [{ event: a, count: 2, first: 0 }, { event: b, count: 1, first: 2 }]
 */
export function runsOf(events: readonly DpEvent[]): EventRun[] {
  const out: (EventRun & { key: string })[] = [];
  events.forEach((event, i) => {
    const key = stableKey(event);
    const last = out[out.length - 1];
    if (last !== undefined && last.key === key) last.count++;
    else out.push({ event, count: 1, first: i, key });
  });
  return out.map(({ event, count, first }) => ({ event, count, first }));
}

/**
 * Merges runs of events (each `times` times) onto run-length merged ledger entries. Merging only ever touches
 * the last entry, so the earlier ones are kept as they are and the cost does not grow with the history.
 * @example mergeLedger([step], [{ event: step, count: 2, first: 0 }]) // [self_composed(step, 3)]
 */
export function mergeLedger(entries: readonly DpEvent[], runs: readonly EventRun[], times = 1): DpEvent[] {
  if (times === 0 || runs.length === 0) return [...entries];
  const l = new Ledger();
  const last = entries[entries.length - 1];
  if (last !== undefined) l.append(last, 1);
  for (const r of runs) l.append(r.event, r.count * times);
  return [...entries.slice(0, -1), ...l.toEvent().events];
}

/** Turns an accounting refusal into a 400 with the sub-event's pointer under `base`. */
export function priced<T>(base: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AccountingError) {
      const code = err.code === 'unsupported_event' ? 'unsupported_event' : 'validation_failed';
      throw new ServiceError(code, err.message, { pointer: `${base}${err.pointer ?? ''}` }, { cause: err });
    }
    throw err;
  }
}

export async function openRun(tx: WriteTx, tenant: string, runId: string): Promise<{ run: RunRow; budget: BudgetRow }> {
  const run = await tx.getRun(tenant, runId);
  if (run === undefined) throw new ServiceError('not_found', `run ${runId} not found`);
  if (run.status !== 'open') throw new ServiceError('run_closed', `run ${runId} is closed`);
  const budget = await tx.getBudget(tenant, run.budget_id);
  if (budget === undefined) throw new ServiceError('internal', `budget of run ${runId} is missing`);
  return { run, budget };
}

/** Open reservations of a budget: each holds budget until committed or, once expired, logged (expiry.ts). */
export function holds(tx: WriteTx, budgetId: string): Promise<ReservationRow[]> {
  return tx.openReservations(budgetId);
}

/**
 * Runs `fn` in one transaction of the caller's tenant that writes at most `records` event records, answering a
 * repeated idempotency key with the stored answer (422 when the same key comes with another request). Only
 * successful answers are stored; a refusal leaves no trace.
 */
export function idempotent<T>(
  store: Store,
  caller: Caller,
  now: () => Date,
  fn: (tx: WriteTx) => Promise<{ status: number; body: T }>,
  records = 0,
) {
  return withPld(() =>
    store.write(
      async (tx) => {
        const idem = caller.idempotency;
        if (idem !== undefined) {
          const prior = await tx.getIdempotency(caller.tenant, idem.key);
          if (prior !== undefined) {
            if (prior.request_hash !== idem.hash) {
              throw new ServiceError('idempotency_mismatch', 'this Idempotency-Key was used with another request');
            }
            return { status: prior.status, body: prior.body as T, replayed: true };
          }
          // A purged key's tombstone is kept for good, so a replay after the retention period can never count twice.
          if (await tx.idempotencyExpired(caller.tenant, idem.key)) {
            throw new ServiceError(
              'idempotency_expired',
              'this Idempotency-Key is older than the retention period; ' +
                'its answer is gone and the request was not applied',
            );
          }
        }
        const answer = await fn(tx);
        if (idem !== undefined) {
          await tx.putIdempotency({
            tenant: caller.tenant,
            key: idem.key,
            request_hash: idem.hash,
            status: answer.status,
            body: answer.body,
            created_at: now().toISOString(),
          });
        }
        return { ...answer, replayed: false };
      },
      { tenant: caller.tenant, records },
    ),
  );
}

/** Logs `count` invocations of each event as records (one record per invocation) after the budget check. */
export async function logEvents(
  deps: EngineDeps,
  tx: WriteTx,
  run: RunRow,
  budget: BudgetRow,
  events: readonly DpEvent[],
  times: number,
  pointerOf: (i: number) => string,
) {
  assertCount(times, 0, LIMITS.steps, '/used');
  const now = deps.now();
  const meter = deps.meters.rdp(budget.neighboring_relation);
  const stillHeld = await holds(tx, budget.id);
  const runs = runsOf(events);
  for (const r of runs) priced(pointerOf(r.first), () => meter.cost(r.event));
  const committedRdp = meter.addRuns(budget.rdp, runs, times);
  const heldRdp = stillHeld.reduce((acc, r) => meter.add(acc, [r.event], r.steps), meter.zero());
  assertRdpGrows(budget.rdp, committedRdp, `budget ${budget.id}`);
  assertRdpNonNegative(heldRdp, `holds of budget ${budget.id}`);
  const committedLedger = mergeUnordered(budget.ledger, runs, times);
  const runLedger = mergeLedger(run.ledger, runs, times);
  const added = times * runs.reduce((n, r) => n + r.count, 0);
  checkRunLimits({ eventCount: run.event_count, added, runLedger, budgetLedger: committedLedger });
  const heldEvents = stillHeld.map((r): DpEvent => ({ kind: 'self_composed', count: r.steps, event: r.event }));
  const eps = assess(deps.meters, budget, { committedRdp, heldRdp, committedLedger, heldEvents });

  const recordedAt = now.toISOString();
  const records = [];
  let seq = run.event_count;
  // Records of one run share its event object, so the store serializes it once.
  for (let k = 0; k < times; k++) {
    for (const r of runs) {
      for (let j = 0; j < r.count; j++) {
        records.push({ sequence: seq++, run_id: run.id, event: r.event, recorded_at: recordedAt });
      }
    }
  }
  await tx.insertEvents(records);
  const runRdp = meter.addRuns(run.rdp, runs, times);
  assertRdpGrows(run.rdp, runRdp, `run ${run.id}`);
  const epsilon_spent = meter.epsilon(runRdp, budget.delta).epsilon;
  const nextRun: RunRow = { ...run, event_count: seq, rdp: runRdp, ledger: runLedger, epsilon_spent };
  await tx.updateRun(nextRun);
  const stored = nextBudget(budget, { ...budget, rdp: committedRdp, ledger: committedLedger, ...eps });
  await tx.updateBudget(stored);
  const answer: AppendAnswer = {
    sequence: seq - 1,
    event_count: seq,
    epsilon_spent: stored.epsilon_spent,
    epsilon_remaining: Math.max(0, budget.epsilon - stored.epsilon_reserved),
    run_epsilon_spent: nextRun.epsilon_spent,
    accountants: {
      epsilon_spent: eps.spent_accountant,
      epsilon_remaining: eps.reserved_accountant,
      run_epsilon_spent: 'rdp',
    },
  };
  return answer;
}

/**
 * Appends events to an open run: 409 budget_exhausted and nothing stored when they would overspend; 409 conflict
 * when `firstSequence` is given and is not the run's event count (a run's sequence never forks or goes back).
 * @example await appendEvents(deps, { tenant }, runId, [{ kind: 'gaussian', noise_multiplier: 1 }])
 */
export async function appendEvents(
  deps: EngineDeps,
  caller: Caller,
  runId: string,
  events: readonly unknown[],
  firstSequence?: number,
) {
  if (!Array.isArray(events)) {
    throw new ServiceError('validation_failed', 'events must be an array', { pointer: '/events' });
  }
  assertCount(events.length, 1, LIMITS.events, '/events', 'the number of events');
  const typed = events.map((e, i) => priced(`/events/${i}`, () => assertDpEvent(e)));
  await admit(deps, caller.tenant, runId, typed, (i) => `/events/${i}`);
  return idempotent(
    deps.store,
    caller,
    deps.now,
    async (tx) => {
      const { run, budget } = await openRun(tx, caller.tenant, runId);
      if (firstSequence !== undefined && firstSequence !== run.event_count) {
        const have = `run ${runId} has ${run.event_count} event records`;
        const why = `${have}; this append expected first_sequence ${firstSequence}`;
        throw new ServiceError('conflict', why, { pointer: '/first_sequence' });
      }
      return { status: 200, body: await logEvents(deps, tx, run, budget, typed, 1, (i) => `/events/${i}`) };
    },
    typed.length,
  );
}
