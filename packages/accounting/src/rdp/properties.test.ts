import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RdpAccountant, dpSgdEvent } from '@dpledger/accounting';

const ORDERS = [1.5, 2, 2.5, 3, 4, 6, 8, 12, 16, 24, 32, 64]; // a short grid keeps the properties fast
const acc = (q: number, sigma: number, steps: number) =>
  new RdpAccountant({ neighboringRelation: 'add_or_remove_one', orders: ORDERS }).compose(dpSgdEvent(q, sigma, steps));
const q = fc.double({ min: 1e-4, max: 1, noNaN: true });
const sigma = fc.double({ min: 0.5, max: 20, noNaN: true });
const steps = fc.integer({ min: 1, max: 100_000 });
const delta = fc.double({ min: 1e-12, max: 0.1, noNaN: true });
const up = (x: number) => x * (1 + 1e-12) + 1e-15;
const opts = { numRuns: 40 };

describe('RDP epsilon is monotone (fast-check)', () => {
  it('non-decreasing in steps', () => {
    fc.assert(
      fc.property(q, sigma, steps, steps, delta, (q_, s, n1, n2, d) => {
        const [a, b] = n1 <= n2 ? [n1, n2] : [n2, n1];
        expect(acc(q_, s, a).getEpsilon(d)).toBeLessThanOrEqual(up(acc(q_, s, b).getEpsilon(d)));
      }),
      opts,
    );
  });
  it('non-decreasing in q', () => {
    fc.assert(
      fc.property(q, q, sigma, steps, delta, (q1, q2, s, n, d) => {
        const [a, b] = q1 <= q2 ? [q1, q2] : [q2, q1];
        expect(acc(a, s, n).getEpsilon(d)).toBeLessThanOrEqual(up(acc(b, s, n).getEpsilon(d)));
      }),
      opts,
    );
  });
  it('non-increasing in sigma', () => {
    fc.assert(
      fc.property(q, sigma, sigma, steps, delta, (q_, s1, s2, n, d) => {
        const [a, b] = s1 <= s2 ? [s1, s2] : [s2, s1];
        expect(acc(q_, b, n).getEpsilon(d)).toBeLessThanOrEqual(up(acc(q_, a, n).getEpsilon(d)));
      }),
      opts,
    );
  });
  it('non-increasing in delta', () => {
    fc.assert(
      fc.property(q, sigma, steps, delta, delta, (q_, s, n, d1, d2) => {
        const [a, b] = d1 <= d2 ? [d1, d2] : [d2, d1];
        const x = acc(q_, s, n);
        expect(x.getEpsilon(b)).toBeLessThanOrEqual(up(x.getEpsilon(a)));
      }),
      opts,
    );
  });
  it('getDelta(getEpsilon(delta)) ~ delta (and never above it)', () => {
    fc.assert(
      fc.property(q, sigma, steps, delta, (q_, s, n, d) => {
        const x = acc(q_, s, n);
        const eps = x.getEpsilon(d);
        fc.pre(eps > 0 && Number.isFinite(eps));
        const back = x.getDelta(eps);
        expect(back).toBeLessThanOrEqual(d * (1 + 1e-9));
        expect(back).toBeGreaterThanOrEqual(d * (1 - 1e-6));
      }),
      opts,
    );
  });
});
