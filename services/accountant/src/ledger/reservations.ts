/**
 * Reservations hold budget for N future invocations of one event, so a trainer can log many steps per round
 * trip: the hold counts against the budget like committed events until it is committed or expires.
 */
import { assertDpEvent, type DpEvent } from '@dpledger/accounting';
import type { components } from '@dpledger/accounting/openapi';
import { ServiceError } from '../errors.js';
import { newId } from '../ids.js';
import type { ReservationRow, RunRow } from '../store/store.js';
import { admit } from './admit.js';
import { LIMITS, checkLimit } from './limits.js';
import { assess, assessRelease } from './meters.js';
import { holds, idempotent, logEvents, openRun, priced, type Caller, type EngineDeps } from './engine.js';

type Reservation = components['schemas']['Reservation'];

/** Default time a reservation holds budget when the request names none. */
export const DEFAULT_RESERVATION_TTL_SECONDS = 3600;

/**
 * Holds budget for `steps` invocations of `event`; 409 budget_exhausted when that would overspend.
 * @example await reserve(deps, caller, runId, { steps: 100, event })
 */
export async function reserve(deps: EngineDeps, caller: Caller, runId: string, req: { steps: number; event: unknown; ttl_seconds?: number }) {
  const event = priced('/event', () => assertDpEvent(req.event));
  checkLimit('steps of one reservation', req.steps, LIMITS.stepsPerReservation, '/steps');
  await admit(deps, caller.tenant, runId, [event], () => '/event');
  return idempotent<Reservation>(deps.store, caller, deps.now, async (tx) => {
    const { run, budget } = await openRun(tx, caller.tenant, runId);
    const now = deps.now();
    const meter = deps.meters.rdp(budget.neighboring_relation);
    priced('/event', () => meter.cost(event));
    const { live, expired } = await holds(tx, budget.id, now);
    checkLimit('open reservations of this budget', live.length + 1, LIMITS.openReservationsPerBudget);
    const all = [...live, { steps: req.steps, event }];
    const heldRdp = all.reduce((acc, r) => meter.add(acc, [r.event], r.steps), meter.zero());
    const heldEvents = all.map((r): DpEvent => ({ kind: 'self_composed', count: r.steps, event: r.event }));
    const eps = assess(deps.meters, budget, { committedRdp: budget.rdp, heldRdp, committedLedger: budget.ledger, heldEvents });
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
    for (const r of expired) await tx.setReservationStatus(r.id, 'expired');
    await tx.updateBudget({ ...budget, ...eps });
    const body: Reservation = { id: row.id, run_id: run.id, steps: row.steps, event, status: 'open', expires_at: row.expires_at, epsilon_remaining: Math.max(0, budget.epsilon - eps.epsilon_reserved) };
    return { status: 201, body };
  });
}

/**
 * Logs `used` invocations of a reservation's event (`used` records) and releases the rest of its hold.
 * A reservation past its expiry no longer holds budget: its commit is checked like a fresh append.
 * @example await commitReservation(deps, caller, reservationId, 87)
 */
export function commitReservation(deps: EngineDeps, caller: Caller, reservationId: string, used: number) {
  checkLimit('records of one commit', used, LIMITS.recordsPerRequest, '/used');
  return idempotent(deps.store, caller, deps.now, async (tx) => {
    const res = await tx.getReservation(caller.tenant, reservationId);
    if (res === undefined) throw new ServiceError('not_found', `reservation ${reservationId} not found`);
    if (res.status === 'committed') throw new ServiceError('reservation_closed', `reservation ${reservationId} is already committed`);
    if (used > res.steps) throw new ServiceError('reservation_exceeded', `used ${used} > reserved steps ${res.steps}`, { pointer: '/used' });
    const { run, budget } = await openRun(tx, caller.tenant, res.run_id);
    const answer = await logEvents(deps, tx, run, budget, [res.event], used, () => '/event', res);
    await tx.setReservationStatus(res.id, 'committed');
    return { status: 200, body: answer };
  });
}

/**
 * Closes an open run with its digests and releases its open reservations.
 * @example await closeRun(deps, caller, runId, { model_digest, dataset_digest })
 */
export function closeRun(deps: EngineDeps, caller: Caller, runId: string, digests: Pick<RunRow, 'model_digest' | 'dataset_digest'>) {
  return deps.store.write(async (tx) => {
    const { run, budget } = await openRun(tx, caller.tenant, runId);
    const now = deps.now();
    const { live, expired } = await holds(tx, budget.id, now);
    const mine = live.filter((r) => r.run_id === run.id);
    const others = live.filter((r) => r.run_id !== run.id);
    const meter = deps.meters.rdp(budget.neighboring_relation);
    const heldRdp = others.reduce((acc, r) => meter.add(acc, [r.event], r.steps), meter.zero());
    const heldEvents = others.map((r): DpEvent => ({ kind: 'self_composed', count: r.steps, event: r.event }));
    // Releasing holds only lowers the total, so this assessment cannot refuse.
    const eps = assessRelease(deps.meters, budget, { committedRdp: budget.rdp, heldRdp, committedLedger: budget.ledger, heldEvents });
    for (const r of mine) await tx.setReservationStatus(r.id, 'expired');
    for (const r of expired) await tx.setReservationStatus(r.id, 'expired');
    await tx.updateBudget({ ...budget, ...eps });
    const closed: RunRow = { ...run, status: 'closed', closed_at: now.toISOString(), model_digest: digests.model_digest, dataset_digest: digests.dataset_digest };
    await tx.updateRun(closed);
    return closed;
  });
}
