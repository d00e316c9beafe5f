/**
 * The work a request does before its write transaction: the per-request limits, and the RDP curves of leaf
 * events the service has not priced yet (computed one at a time, yielding to the event loop), so the
 * transaction that checks the budget only adds cached vectors and holds neither the loop nor the writer long.
 */
import { AccountingError, type DpEvent } from '@dpledger/accounting';
import { ServiceError } from '../errors.js';
import type { Store } from '../store/store.js';
import { LIMITS, checkLimit, requestLeaves } from './limits.js';
import type { Meters } from './meters.js';

/** What admit() reads of engine.ts's EngineDeps (declared here so the two modules do not import each other). */
export interface AdmitDeps {
  store: Pick<Store, 'getRun' | 'getBudget'>;
  meters: Meters;
}

/**
 * Checks the per-request limits of `events` and prices their new leaves under the relation of `runId`'s budget.
 * An unknown run is left to the transaction (which answers 404).
 * @example await admit(deps, tenant, runId, events, (i) => `/events/${i}`)
 */
export async function admit(
  deps: AdmitDeps,
  tenant: string,
  runId: string,
  events: readonly DpEvent[],
  pointerOf: (i: number) => string,
): Promise<void> {
  checkLimit('event records in this request', events.length, LIMITS.recordsPerRequest);
  requestLeaves(events, pointerOf);
  const run = await deps.store.getRun(tenant, runId);
  const budget = run === undefined ? undefined : await deps.store.getBudget(tenant, run.budget_id);
  if (budget === undefined) return;
  try {
    await deps.meters.rdp(budget.neighboring_relation).prepare(events, pointerOf);
  } catch (err) {
    if (err instanceof AccountingError) {
      const code = err.code === 'unsupported_event' ? 'unsupported_event' : 'validation_failed';
      throw new ServiceError(code, err.message, { pointer: err.pointer ?? '' }, { cause: err });
    }
    throw err;
  }
}
