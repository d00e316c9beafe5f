/** The run-length merged ledger of composed events: composed([e1, self_composed(e2, n), ...]). */
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
    return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${stableKey(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function unwrap(e: DpEvent): [DpEvent, number] {
  return e.kind === 'self_composed' ? [e.event, e.count] : [e, 1];
}

function wrap(e: DpEvent, count: number): DpEvent {
  return count === 1 ? e : { kind: 'self_composed', event: e, count };
}

/** Immutable run-length merged list of composed events. */
export class Ledger {
  private readonly entries: DpEvent[] = [];

  /** Appends `event` composed `count` times, merging it with the last entry when they are the same event. */
  append(event: DpEvent, count: number): void {
    const [inner, innerCount] = unwrap(event);
    const total = innerCount * count;
    if (total === 0) return; // composing zero times changes nothing, however it is written
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined) {
      const [lastInner, lastCount] = unwrap(last);
      if (eventsEqual(lastInner, inner)) {
        this.entries[this.entries.length - 1] = wrap(lastInner, lastCount + total);
        return;
      }
    }
    this.entries.push(wrap(inner, total));
  }

  /** A deep copy of the ledger as one composed DpEvent. */
  toEvent(): ComposedDpEvent {
    return { kind: 'composed', events: structuredClone(this.entries) };
  }

  get length(): number {
    return this.entries.length;
  }
}
