/** A ledger or an event log as a run-length list of (event, count) segments in the order they happened. */
import { Ledger, type DpEvent, type EventRun } from '@dpledger/accounting';
import type { EventRecord } from '../event-log.js';
import { inSequenceOrder } from '../event-log.js';

/** One run of the ledger: `event` `count` times in a row (@dpledger/accounting's run-length merging). */
export type Segment = EventRun;

/**
 * Segments of a composed ledger (its top-level events in order) or of one event.
 * @example
 * ledgerSegments({ kind: 'composed', events: [{ kind: 'self_composed', count: 3, event: e }] })
 * // [{ event: e, count: 3 }]
 */
export function ledgerSegments(ledger: DpEvent): Segment[] {
  return Ledger.of(ledger).runs();
}

/**
 * Segments of an event log, in sequence order, merged exactly as the service merges the run's ledger.
 * @example recordSegments(records).reduce((n, s) => n + s.count, 0) // invocations logged
 */
export function recordSegments(records: readonly EventRecord[]): Segment[] {
  const l = new Ledger();
  for (const r of inSequenceOrder(records)) l.append(r.event);
  return l.runs();
}

/**
 * Every event kind that occurs anywhere inside `event`.
 * @example kindsIn(step).has('poisson_sampled') // true for a DP-SGD step
 */
export function kindsIn(event: DpEvent, into = new Set<string>()): Set<string> {
  into.add(event.kind);
  if (event.kind === 'composed') event.events.forEach((e) => kindsIn(e, into));
  else if ('event' in event && event.event !== undefined) kindsIn(event.event as DpEvent, into);
  return into;
}

/**
 * Every sampling probability of a poisson_sampled event inside `event`.
 * @example poissonProbabilities(ledger) // [0.01, 0.01]
 */
export function poissonProbabilities(event: DpEvent, into: number[] = []): number[] {
  if (event.kind === 'poisson_sampled') into.push(event.sampling_probability);
  if (event.kind === 'composed') event.events.forEach((e) => poissonProbabilities(e, into));
  else if ('event' in event && event.event !== undefined) poissonProbabilities(event.event as DpEvent, into);
  return into;
}
