import { describe, expect, it } from 'vitest';
import { RdpAccountant, sampledWithoutReplacementGaussianRdp as wor, type DpEvent } from '@dpledger/accounting';
import { describeAccountantContract } from '../testing/accountant-contract.js';

describeAccountantContract(
  'RdpAccountant (replace_one)',
  () => new RdpAccountant({ neighboringRelation: 'replace_one' }),
);

describe('sampled_without_replacement(gaussian), WBK19 Thm. 9', () => {
  // The bound written out by hand at small orders (Wang, Balle, Kasiviswanathan 2019, Thm. 9, eps(j) = j / (2
  // sigma^2)).
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
  const two = (q: number, s: number) => q * q * Math.min(4 * Math.expm1(1 / (s * s)), 2 * Math.exp(1 / (s * s)));
  it.each([
    [0.01, 1],
    [0.1, 2],
    [0.3, 0.8],
  ])('orders 2 and 3 by hand (q=%f, sigma=%f)', (q, s) => {
    expect(rel(wor(q, s, 2), Math.log1p(two(q, s)))).toBeLessThan(1e-12);
    const a3 = Math.log1p(3 * two(q, s) + 2 * q ** 3 * Math.exp(3 / (s * s))) / 2;
    expect(rel(wor(q, s, 3), Math.min(a3, 3 / (2 * s * s)))).toBeLessThan(1e-12);
  });
  it('fractional orders interpolate (a-1) RDP linearly between integers (WBK19 Cor. 10)', () => {
    const [q, s] = [0.05, 1.5];
    expect(rel(wor(q, s, 2.25) * 1.25, 0.75 * wor(q, s, 2) + 0.25 * 2 * wor(q, s, 3))).toBeLessThan(1e-14);
    expect(rel(wor(q, s, 1.5) * 0.5, 0.5 * wor(q, s, 2))).toBeLessThan(1e-14);
  });
  it('is the plain Gaussian at q = 1 and never above it', () => {
    expect(wor(1, 2, 7)).toBe(7 / 8);
    for (const q of [0.5, 0.9, 0.99])
      for (const a of [2, 8.5, 64, 1024]) expect(wor(q, 0.7, a)).toBeLessThanOrEqual(a / (2 * 0.7 * 0.7));
  });
  it('composes under replace_one and is refused under add_or_remove_one with its pointer', () => {
    const e: DpEvent = {
      kind: 'sampled_without_replacement',
      source_dataset_size: 60000,
      sample_size: 256,
      event: { kind: 'gaussian', noise_multiplier: 1.1 },
    };
    const acc = new RdpAccountant({ neighboringRelation: 'replace_one' }).compose(e, 1000);
    const eps = acc.getEpsilon(1e-5);
    expect(eps).toBeGreaterThan(0);
    expect(eps).toBeLessThan(
      new RdpAccountant({ neighboringRelation: 'replace_one' })
        .compose({ kind: 'gaussian', noise_multiplier: 1.1 }, 1000)
        .getEpsilon(1e-5),
    );
    const add = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });
    expect(() => add.compose({ kind: 'composed', events: [e] })).toThrowError(
      expect.objectContaining({ code: 'unsupported_event', pointer: '/events/0' }),
    );
  });
});
