import { AccountingError, RdpAccountant, type DpEvent } from '@dpledger/accounting';
import { describe, expect, it } from 'vitest';
import { RdpMeter } from './rdp-meter.js';

const step = (sigma: number): DpEvent => ({
  kind: 'poisson_sampled',
  sampling_probability: 0.01,
  event: { kind: 'gaussian', noise_multiplier: sigma },
});

describe('RdpMeter', () => {
  it('prices composed and self_composed trees exactly as RdpAccountant, one curve per distinct leaf', () => {
    const meter = new RdpMeter('add_or_remove_one');
    const leaves = [step(1.1), step(1.3), { kind: 'gaussian', noise_multiplier: 4 } as DpEvent];
    const tree: DpEvent = {
      kind: 'composed',
      events: [
        ...leaves,
        {
          kind: 'self_composed',
          count: 7,
          event: {
            kind: 'composed',
            events: [...leaves, { kind: 'self_composed', count: 0, event: { kind: 'non_private' } }],
          },
        },
        ...leaves,
        ...leaves,
      ],
    };
    const want = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(tree).rdp;
    expect(meter.cost(tree)).toEqual(want);
    expect(meter.cachedLeaves).toBe(4);
  });

  it('prepare prices new leaves before the transaction, yielding to the event loop between curves', async () => {
    const meter = new RdpMeter('add_or_remove_one');
    const events: DpEvent[] = [{ kind: 'composed', events: Array.from({ length: 6 }, (_, i) => step(1 + i / 10)) }];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await meter.prepare(events, (i) => `/events/${i}`);
    clearInterval(timer);
    expect(meter.cachedLeaves).toBe(6);
    expect(ticks).toBeGreaterThan(0);
  });

  it('prepare computes a new leaf a slice of orders at a time, yielding in between, to the same vector', async () => {
    const leaves: DpEvent[] = [
      step(1.7),
      { kind: 'gaussian', noise_multiplier: 2.5 },
      { kind: 'laplace', noise_multiplier: 3 },
      { kind: 'zcdp', rho: 0.02, xi: 0.1 },
    ];
    const meter = new RdpMeter('add_or_remove_one');
    let turns = 0;
    let pricing = true;
    const loop = (async () => {
      while (pricing) {
        await new Promise((r) => setImmediate(r));
        turns++;
      }
    })();
    await meter.prepare(leaves, (i) => `/events/${i}`);
    pricing = false;
    await loop;
    // The event loop ran at least once per 16 orders of each new leaf (156 default orders: 10 slices per leaf).
    expect(turns).toBeGreaterThanOrEqual(leaves.length * Math.ceil(meter.orders.length / 16) - 1);
    for (const leaf of leaves)
      expect(meter.cost(leaf)).toEqual(
        new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(leaf).rdp,
      );
    expect(meter.cachedLeaves).toBe(leaves.length);
  });

  it('a leaf the accountant cannot analyse is refused with the pointer of that leaf', async () => {
    const meter = new RdpMeter('add_or_remove_one');
    const bad: DpEvent = {
      kind: 'composed',
      events: [
        step(1),
        {
          kind: 'self_composed',
          count: 2,
          event: {
            kind: 'poisson_sampled',
            sampling_probability: 0.1,
            event: { kind: 'laplace', noise_multiplier: 1 },
          },
        },
      ],
    };
    await expect(meter.prepare([bad], (i) => `/events/${i}`)).rejects.toMatchObject({
      code: 'unsupported_event',
      pointer: '/events/0/events/1/event/event',
    });
    expect(() => meter.cost(bad)).toThrow(AccountingError);
  });
});
