import { RdpAccountant, type DpEvent } from '@dpledger/accounting';
import { epsilonCurve } from '@dpledger/audit';
import { describe, expect, it } from 'vitest';
import { CurveCache } from './curve-cache.js';

const step = (sigma: number): DpEvent => ({
  kind: 'poisson_sampled',
  sampling_probability: 0.01,
  event: { kind: 'gaussian', noise_multiplier: sigma },
});
const opts = { delta: 1e-5, neighboringRelation: 'add_or_remove_one' } as const;

/** A growing log and a pager over it that counts the records it hands out. */
function log() {
  const records: { sequence: number; event: DpEvent }[] = [];
  let read = 0;
  return {
    add: (n: number, sigma = 1.1) => {
      for (let i = 0; i < n; i++) records.push({ sequence: records.length, event: step(sigma) });
    },
    pager: async (after: number, limit: number) => {
      const page = records.filter((r) => r.sequence > after).slice(0, limit);
      read += page.length;
      return page;
    },
    read: () => read,
    count: () => records.length,
  };
}

describe('CurveCache', () => {
  it("a refresh reads only records logged since the last view and ends at the whole log's RDP epsilon", async () => {
    const curves = new CurveCache();
    const l = log();
    l.add(300);
    const first = await curves.curve('t/r', opts, l.count(), l.pager);
    expect(l.read()).toBe(300);
    expect(first.at(-1)!.step).toBe(300);
    expect(await curves.curve('t/r', opts, l.count(), l.pager)).toEqual(first);
    expect(l.read()).toBe(300); // nothing new: nothing read
    l.add(50, 2);
    const second = await curves.curve('t/r', opts, l.count(), l.pager);
    expect(l.read()).toBe(350);
    const want = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' })
      .compose(step(1.1), 300)
      .compose(step(2), 50)
      .getEpsilon(1e-5);
    expect(second.at(-1)).toEqual({ step: 350, epsilon: expect.closeTo(want, 12) });
    // the same figure as the report's curve (@dpledger/audit epsilonCurve) over the same log
    const report = epsilonCurve(
      [
        { event: step(1.1), count: 300 },
        { event: step(2), count: 50 },
      ],
      'add_or_remove_one',
      1e-5,
    );
    expect(second.at(-1)!.epsilon).toBeCloseTo(report.points.at(-1)![1], 12);
    expect(second[0]).toEqual({ step: 0, epsilon: 0 });
    for (let i = 1; i < second.length; i++) expect(second[i]!.epsilon).toBeGreaterThanOrEqual(second[i - 1]!.epsilon);
  });

  it('keeps a bounded number of points however long the run, and separates keys (tenant and run)', async () => {
    const curves = new CurveCache();
    const l = log();
    l.add(20_000);
    const points = await curves.curve('t/long', opts, l.count(), l.pager);
    expect(points.length).toBeLessThanOrEqual(122);
    expect(points.length).toBeGreaterThan(60);
    const other = log();
    other.add(3, 5);
    expect((await curves.curve('u/long', opts, other.count(), other.pager)).at(-1)!.step).toBe(3);
  });
});
