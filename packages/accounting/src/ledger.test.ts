import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DpEvent } from './dp-event.js';
import { Ledger, stableKey, unwrapCount, withCount } from './ledger.js';

const leaves: DpEvent[] = [
  { kind: 'gaussian', noise_multiplier: 1.1 },
  { kind: 'poisson_sampled', sampling_probability: 0.01, event: { kind: 'gaussian', noise_multiplier: 1.1 } },
  { kind: 'laplace', noise_multiplier: 2 },
];
/** An event as written to a ledger: a leaf, or a top-level self_composed of one (count 0 included). */
const appended = fc.record({
  leaf: fc.constantFrom(...leaves),
  wrapped: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  count: fc.integer({ min: 0, max: 3 }),
});

/** The naive reference: expand every append into single invocations, then group equal neighbours. */
function naiveRuns(appends: { leaf: DpEvent; wrapped: number | undefined; count: number }[]) {
  const flat = appends.flatMap((a) => Array.from({ length: (a.wrapped ?? 1) * a.count }, () => a.leaf));
  const out: { event: DpEvent; count: number }[] = [];
  for (const e of flat) {
    const last = out[out.length - 1];
    if (last !== undefined && stableKey(last.event) === stableKey(e)) last.count++;
    else out.push({ event: e, count: 1 });
  }
  return out;
}

describe('Ledger (the one run-length merging of events)', () => {
  it('equals grouping the expanded invocations, for any sequence of appends', () => {
    fc.assert(
      fc.property(fc.array(appended, { maxLength: 12 }), (appends) => {
        const l = new Ledger();
        for (const a of appends) {
          const event: DpEvent =
            a.wrapped === undefined ? a.leaf : { kind: 'self_composed', count: a.wrapped, event: a.leaf };
          l.append(event, a.count);
        }
        const expected = naiveRuns(appends);
        expect(l.runs()).toEqual(expected);
        expect(l.invocations).toBe(expected.reduce((n, r) => n + r.count, 0));
        expect(l.toEvent()).toEqual({ kind: 'composed', events: expected.map(withCount) });
        // reading a written ledger back gives the same runs
        expect(Ledger.of(l.toEvent()).runs()).toEqual(expected);
      }),
    );
  });

  it('reads one event, a composed ledger and no ledger', () => {
    const [g, p] = leaves as [DpEvent, DpEvent];
    expect(Ledger.of(undefined).runs()).toEqual([]);
    expect(Ledger.of(g).runs()).toEqual([{ event: g, count: 1 }]);
    const composed: DpEvent = { kind: 'composed', events: [g, { kind: 'self_composed', count: 2, event: g }, p] };
    expect(Ledger.of(composed).runs()).toEqual([
      { event: g, count: 3 },
      { event: p, count: 1 },
    ]);
  });

  it('unwraps one level of self_composed only (the form the ledger writes)', () => {
    const g = leaves[0]!;
    const twice: DpEvent = { kind: 'self_composed', count: 2, event: g };
    expect(unwrapCount({ kind: 'self_composed', count: 3, event: twice })).toEqual({ event: twice, count: 3 });
    expect(withCount({ event: g, count: 1 })).toBe(g);
  });

  it('hands out copies: changing what it returned does not change the ledger', () => {
    const l = new Ledger();
    const g: DpEvent = { kind: 'gaussian', noise_multiplier: 1 };
    l.append(g, 2);
    (l.runs()[0]!.event as { noise_multiplier: number }).noise_multiplier = 9;
    (l.toEvent().events[0] as { count: number }).count = 9;
    expect(l.toEvent()).toEqual({ kind: 'composed', events: [{ kind: 'self_composed', count: 2, event: g }] });
  });
});
