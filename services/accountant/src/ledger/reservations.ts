/**
 * Reservations hold budget for N future invocations of one event, so a trainer can log many steps per round
 * trip: the hold counts against the budget like committed events from reserve time until it is committed; one
 * that expires or whose run closes uncommitted is logged with all its steps used (expiry.ts), never dropped.
 */
import { assertDpEvent, type DpEvent } from '@dpledger/accounting';
import type { components } from '@dpledger/api';
import { ServiceError } from '../errors.js';
import { newId } from '../ids.js';
import type { ReservationRow, RunRow } from '../store/store.js';
import { assess } from './meters.js';
import { admit } from './admit.js';
import { LIMITS, assertCount, assertRdpNonNegative, nextBudget } from './invariants.js';
import { LIMITS as SERVICE_LIMITS, checkLimit } from './limits.js';
import { holds, idempotent, openRun, priced, type Caller, type EngineDeps } from './engine.js';
import { answerOf, logDue, logExpired, recordHold, type CommitAnswer } from './expiry.js';

type Reservation = components['schemas']['Reservation'];

/** Default time a reservation holds budget when the request names none. */
export const DEFAULT_RESERVATION_TTL_SECONDS = 3600;

/**
 * Holds budget for `steps` invocations of `event`; 409 budget_exhausted when that would overspend.
 * @example await reserve(deps, caller, runId, { steps: 100, event })
 */
export async function reserve(
  deps: EngineDeps,
  caller: Caller,
  runId: string,
  req: { steps: number; event: unknown; ttl_seconds?: number },
) {
  assertCount(req.steps, 1, LIMITS.steps, '/steps');
  if (req.ttl_seconds !== undefined) assertCount(req.ttl_seconds, 1, LIMITS.ttlSeconds, '/ttl_seconds');
  const event = priced('/event', () => assertDpEvent(req.event));
  await admit(deps, caller.tenant, runId, [event], () => '/event');
  await logDue(deps, caller.tenant);
  return idempotent<Reservation>(deps.store, caller, deps.now, async (tx) => {
    const { run, budget } = await openRun(tx, caller.tenant, runId);
    const now = deps.now();
    const meter = deps.meters.rdp(budget.neighboring_relation);
    priced('/event', () => meter.cost(event));
    // Every open hold counts, expired or not: one that expired since logDue is logged at the next touch.
    const open = await holds(tx, budget.id);
    checkLimit('open reservations of this budget', open.length + 1, SERVICE_LIMITS.openReservationsPerBudget);
    checkLimit(
      'records of this run (logged and reserved)',
      run.event_count + open.filter((r) => r.run_id === run.id).reduce((n, r) => n + r.steps, 0) + req.steps,
      SERVICE_LIMITS.recordsPerRun,
      '/steps',
    );
    const all = [...open, { steps: req.steps, event }];
    const heldRdp = all.reduce((acc, r) => meter.add(acc, [r.event], r.steps), meter.zero());
    assertRdpNonNegative(heldRdp, `holds of budget ${budget.id}`);
    const heldEvents = all.map((r): DpEvent => ({ kind: 'self_composed', count: r.steps, event: r.event }));
    const eps = assess(deps.meters, budget, {
      committedRdp: budget.rdp,
      heldRdp,
      committedLedger: budget.ledger,
      heldEvents,
    });
    const row: ReservationRow = {
      id: newId('res'),
      tenant: caller.tenant,
      run_id: run.id,
      budget_id: budget.id,
      steps: req.steps,
      event,
      status: 'open',
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + 1000 * (req.ttl_seconds ?? DEFAULT_RESERVATION_TTL_SECONDS)).toISOString(),
    };
    await tx.insertReservation(row);
    const stored = nextBudget(budget, { ...budget, ...eps });
    await tx.updateBudget(stored);
    const body: Reservation = {
      id: row.id,
      run_id: run.id,
      steps: row.steps,
      event,
      status: 'open',
      expires_at: row.expires_at,
      epsilon_remaining: Math.max(0, budget.epsilon - stored.epsilon_reserved),
      accountants: { epsilon_remaining: stored.reserved_accountant ?? 'rdp' },
    };
    return { status: 201, body };
  });
}

/**
 * Logs `used` invocations of a reservation's event (`used` records) and releases the rest of its hold. Never
 * refused on budget grounds: the hold counted from reserve time. A reservation already logged at expiry or at
 * its run's close cannot be un-logged: the commit is then a no-op that answers `logged_steps` = all its steps.
 * @example await commitReservation(deps, caller, reservationId, 87)
 */
export async function commitReservation(deps: EngineDeps, caller: Caller, reservationId: string, used: number) {
  assertCount(used, 0, LIMITS.steps, '/used');
  await logDue(deps, caller.tenant);
  return idempotent<CommitAnswer>(
    deps.store,
    caller,
    deps.now,
    async (tx) => {
      const res = await tx.getReservation(caller.tenant, reservationId);
      // a run token sees only its own run's reservations (as another tenant's, they do not exist for it)
      if (res === undefined || (caller.run !== undefined && res.run_id !== caller.run))
        throw new ServiceError('not_found', `reservation ${reservationId} not found`);
      if (used > res.steps)
        throw new ServiceError('reservation_exceeded', `used ${used} > reserved steps ${res.steps}`, {
          pointer: '/used',
        });
      if (res.status === 'committed')
        throw new ServiceError('reservation_closed', `reservation ${reservationId} is already committed`);
      if (res.status === 'expired') {
        const run = await tx.getRun(caller.tenant, res.run_id);
        const budget = await tx.getBudget(caller.tenant, res.budget_id);
        if (run === undefined || budget === undefined)
          throw new ServiceError('internal', `run or budget of reservation ${reservationId} is missing`);
        return { status: 200, body: answerOf(run, budget, res.steps) };
      }
      await openRun(tx, caller.tenant, res.run_id);
      return { status: 200, body: await recordHold(deps, tx, res, used, 'committed') };
    },
    used,
  );
}

/**
 * Closes an open run with its digests. Its open reservations are logged with all their steps used (the trainer
 * commits what it used before closing), and so are the budget's other expired ones; the report then covers them.
 * @example await closeRun(deps, caller, runId, { model_digest, dataset_digest })
 */
export function closeRun(
  deps: EngineDeps,
  caller: Caller,
  runId: string,
  digests: Pick<RunRow, 'model_digest' | 'dataset_digest'>,
) {
  return deps.store.write(
    async (tx) => {
      const { budget } = await openRun(tx, caller.tenant, runId);
      const now = deps.now();
      await logExpired(deps, tx, budget.id, now);
      for (const r of await holds(tx, budget.id))
        if (r.run_id === runId) await recordHold(deps, tx, r, r.steps, 'expired');
      const { run } = await openRun(tx, caller.tenant, runId);
      const closed: RunRow = {
        ...run,
        status: 'closed',
        closed_at: now.toISOString(),
        model_digest: digests.model_digest,
        dataset_digest: digests.dataset_digest,
      };
      await tx.updateRun(closed);
      return closed;
    },
    { tenant: caller.tenant, records: Infinity },
  ); // logs every open hold of the run: committed alone
}
