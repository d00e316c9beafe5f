/**
 * Run-length merging of DpEvents, in one place: the ledger composed([e1, self_composed(e2, n), ...]) that every
 * accountant keeps, the run ledger the service stores, the segments the report's checks read and the steps a
 * resumed trainer compares all come from `Ledger`. A top-level `self_composed(e, n)` counts as n invocations of e
 * (one level: that is how the ledger writes a run), so a run of e continues across it.
 */
import type { ComposedDpEvent, DpEvent } from './dp-event.js';

/** Structural equality of two DpEvents (key order does not matter). */
export function eventsEqual(a: DpEvent, b: DpEvent): boolean {
  return stableKey(a) === stableKey(b);
}

/** A canonical string for an event: keys sorted, numbers in shortest round-trip form. */
export function stableKey(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableKey).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableKey(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `count` invocations of `event` in a row; `event` is never a top-level `self_composed` of a ledger run. */
export interface EventRun {
  event: DpEvent;
  count: number;
}

/**
 * A top-level `self_composed(e, n)` as (e, n); any other event as (event, 1).
 * @example unwrapCount({ kind: 'self_composed', count: 3, event: e }) // { event: e, count: 3 }
 */
export function unwrapCount(event: DpEvent): EventRun {
  return event.kind === 'self_composed' ? { event: event.event, count: event.count } : { event, count: 1 };
}

/**
 * The inverse of `unwrapCount`: the event once, or `self_composed(event, count)`.
 * @example withCount({ event: e, count: 1 }) // e
 */
export function withCount(run: EventRun): DpEvent {
  return run.count === 1 ? run.event : { kind: 'self_composed', event: run.event, count: run.count };
}

/**
 * Run-length merged list of composed events, in the order they were appended.
 * @example
 * const l = new Ledger();
 * l.append(step, 2);
 * l.append(step, 1);
 * l.toEvent() // composed([self_composed(step, 3)])
 */
export class Ledger {
  private readonly entries: (EventRun & { key: string })[] = [];

  /**
   * The ledger of a composed event (its top-level events, in order) or of one event; `undefined` is empty.
   * @example Ledger.of(run.ledger).runs() // [{ event: step, count: 1000 }]
   */
  static of(ledger: DpEvent | undefined): Ledger {
    const l = new Ledger();
    const events = ledger === undefined ? [] : ledger.kind === 'composed' ? ledger.events : [ledger];
    for (const e of events) l.append(e, 1);
    return l;
  }

  /** Appends `event` composed `count` times, merging it with the last entry when they are the same event. */
  append(event: DpEvent, count = 1): void {
    const inner = unwrapCount(event);
    const total = inner.count * count;
    if (total === 0) return; // composing zero times changes nothing, however it is written
    const key = stableKey(inner.event);
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined && last.key === key) last.count += total;
    else this.entries.push({ event: inner.event, count: total, key });
  }

  /** A deep copy of the runs, in order: `event` (never a top-level self_composed) `count` times each. */
  runs(): EventRun[] {
    return this.entries.map((r) => ({ event: structuredClone(r.event), count: r.count }));
  }

  /** A deep copy of the ledger as one composed DpEvent. */
  toEvent(): ComposedDpEvent {
    const events = this.entries.map((r) => structuredClone(withCount({ event: r.event, count: r.count })));
    return { kind: 'composed', events };
  }

  /** Number of runs (entries of `toEvent().events`). */
  get length(): number {
    return this.entries.length;
  }

  /** Number of invocations: the sum of the runs' counts. */
  get invocations(): number {
    return this.entries.reduce((n, r) => n + r.count, 0);
  }
}
