/** A ledger or an event log as a run-length list of (event, count) segments in the order they happened. */
import type { DpEvent } from '@dpledger/accounting';
import { canonicalJson } from '../canonical-json.js';
import type { EventRecord } from '../event-log.js';
import { inSequenceOrder } from '../event-log.js';

export interface Segment {
  event: DpEvent;
  count: number;
}

function append(out: Segment[], keys: string[], event: DpEvent, count: number): void {
  if (count === 0) return;
  const key = canonicalJson(event);
  if (keys.at(-1) === key) out[out.length - 1]!.count += count;
  else {
    out.push({ event, count });
    keys.push(key);
  }
}

function pushUnwrapped(out: Segment[], keys: string[], event: DpEvent): void {
  // A top-level self_composed is `count` invocations of its event, as the ledger's run-length merging writes it.
  if (event.kind === 'self_composed') append(out, keys, event.event, event.count);
  else append(out, keys, event, 1);
}

/**
 * Segments of a composed ledger (its top-level events in order) or of one event.
 * @example ledgerSegments({ kind: 'composed', events: [{ kind: 'self_composed', count: 3, event: e }] }) // [{ event: e, count: 3 }]
 */
export function ledgerSegments(ledger: DpEvent): Segment[] {
  const out: Segment[] = [];
  const keys: string[] = [];
  for (const e of ledger.kind === 'composed' ? ledger.events : [ledger]) pushUnwrapped(out, keys, e);
  return out;
}

/**
 * Segments of an event log, in sequence order.
 * @example recordSegments(records).reduce((n, s) => n + s.count, 0) // invocations logged
 */
export function recordSegments(records: readonly EventRecord[]): Segment[] {
  const out: Segment[] = [];
  const keys: string[] = [];
  for (const r of inSequenceOrder(records)) pushUnwrapped(out, keys, r.event);
  return out;
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
