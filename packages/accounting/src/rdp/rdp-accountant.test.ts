import { describe, expect, it } from 'vitest';
import { AccountingError, DEFAULT_RDP_ORDERS, RdpAccountant, formatEpsilon, type DpEvent } from '@dpledger/accounting';
import { readmeExample, rdpReference } from '../fixtures/reference.js';
import { describeAccountantContract } from '../testing/accountant-contract.js';

const ref = rdpReference();
const step = (q: number, sigma: number): DpEvent => ({
  kind: 'poisson_sampled',
  sampling_probability: q,
  event: { kind: 'gaussian', noise_multiplier: sigma },
});
const opacusOrders = ref.provenance.conventions.opacus_orders;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describeAccountantContract('RdpAccountant', () => new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }));

describe('RdpAccountant', () => {
  it('defaults to dp_accounting orders and exposes orders and rdp of the same length', () => {
    const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });
    expect(acc.orders).toEqual(ref.provenance.conventions.dp_accounting_orders);
    expect(DEFAULT_RDP_ORDERS).toEqual(ref.provenance.conventions.dp_accounting_orders);
    acc.compose(step(0.01, 1.1), 3);
    expect(acc.rdp).toHaveLength(acc.orders.length);
    expect(acc.rdp.every((r) => r > 0)).toBe(true);
  });

  it('rejects bad orders and neighbouring relations', () => {
    expect(() => new RdpAccountant({ neighboringRelation: 'add_or_remove_one', orders: [1] })).toThrow(AccountingError);
    expect(() => new RdpAccountant({ neighboringRelation: 'add_or_remove_one', orders: [] })).toThrow(AccountingError);
    expect(() => new RdpAccountant({ neighboringRelation: 'nope' as never })).toThrow(AccountingError);
  });

  it("gives the README's 1.7118 for q=0.01, sigma=1.1, 1000 steps, delta=1e-5: mpmath's figure, rounded up", () => {
    const ex = readmeExample(); // fixtures/readme-example.json: 50-digit quadrature, no code shared with this library
    const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(step(ex.q, ex.sigma), ex.steps);
    const { epsilon, order } = acc.getEpsilonAndOrder(ex.delta);
    expect(order).toBe(ex.rdp_mpmath.order);
    expect(rel(epsilon, ex.rdp_mpmath.eps)).toBeLessThan(1e-9);
    expect(epsilon).toBeGreaterThanOrEqual(ex.rdp_mpmath.eps * (1 - 1e-12)); // never below the quadrature
    expect(formatEpsilon(epsilon, 4)).toBe(String(ex.readme.rdp));
  });

  describe('rdp_epsilon: within 1e-6 of Opacus on Opacus orders, never above dp_accounting on its orders', () => {
    for (const c of ref.rdp_epsilon) {
      it(`q=${c.q} sigma=${c.sigma} steps=${c.steps} delta=${c.delta}`, () => {
        const ours = new RdpAccountant({ neighboringRelation: 'add_or_remove_one', orders: opacusOrders }).compose(
          step(c.q, c.sigma),
          c.steps,
        );
        const { epsilon, order } = ours.getEpsilonAndOrder(c.delta);
        expect(rel(epsilon, c.opacus.eps)).toBeLessThan(1e-6);
        expect(order).toBe(c.opacus.order);
        const dp = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(step(c.q, c.sigma), c.steps);
        expect(dp.getEpsilon(c.delta)).toBeLessThanOrEqual(c.dp_accounting.eps * (1 + 1e-9));
      });
    }
  });

  it('heterogeneous composition matches Opacus at 1e-6 and stays below dp_accounting', () => {
    for (const c of ref.heterogeneous) {
      const events: DpEvent[] = c.components.map((k) => ({
        kind: 'self_composed',
        count: k.steps,
        event: step(k.q, k.sigma),
      }));
      const op = new RdpAccountant({ neighboringRelation: 'add_or_remove_one', orders: opacusOrders }).compose({
        kind: 'composed',
        events,
      });
      expect(rel(op.getEpsilon(c.delta), c.opacus_rdp.eps)).toBeLessThan(1e-6);
      const dp = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });
      for (const e of events) dp.compose(e);
      expect(dp.getEpsilonAndOrder(c.delta).order).toBe(c.dp_rdp.order);
      expect(dp.getEpsilon(c.delta)).toBeLessThanOrEqual(c.dp_rdp.eps * (1 + 1e-9));
      expect(rel(dp.getEpsilon(c.delta), c.dp_rdp.eps)).toBeLessThan(1e-6);
    }
  });

  it('laplace (Mironov 2017 Prop. 6) matches dp_accounting and is above the exact pure-DP epsilon', () => {
    for (const c of ref.laplace) {
      const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(
        { kind: 'laplace', noise_multiplier: c.scale_b },
        c.count,
      );
      const { epsilon, order } = acc.getEpsilonAndOrder(c.delta);
      expect(rel(epsilon, c.dp_rdp.eps)).toBeLessThan(1e-9);
      expect(order).toBe(c.dp_rdp.order);
      expect(epsilon).toBeGreaterThan(c.closed_form_single_eps);
    }
  });

  it('gaussian matches dp_accounting / Opacus and stays above the exact analytic epsilon', () => {
    for (const c of ref.gaussian) {
      const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(
        { kind: 'gaussian', noise_multiplier: c.sigma },
        c.count,
      );
      const { epsilon, order } = acc.getEpsilonAndOrder(c.delta);
      expect(rel(epsilon, c.dp_rdp.eps)).toBeLessThan(1e-9);
      expect(order).toBe(c.dp_rdp.order);
      expect(epsilon).toBeGreaterThan(c.mpmath_exact.eps);
    }
  });

  it('TF Privacy tutorial figures: the improved conversion matches Opacus, the published 2 decimals are above', () => {
    for (const c of ref.published_figures) {
      const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one', orders: opacusOrders }).compose(
        step(c.q, c.sigma),
        c.steps,
      );
      const { epsilon, order } = acc.getEpsilonAndOrder(c.delta);
      expect(rel(epsilon, c.opacus_rdp.eps)).toBeLessThan(1e-6);
      expect(order).toBe(c.opacus_rdp.order);
      expect(epsilon).toBeLessThan(c.published_eps); // the 2020 basic conversion published a looser figure
      const dp = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(step(c.q, c.sigma), c.steps);
      // dp_accounting's fractional orders are looser
      expect(dp.getEpsilon(c.delta)).toBeLessThanOrEqual(c.dp_rdp.eps * (1 + 1e-9));
    }
  });

  it('zcdp is xi + rho a; pure epsilon_delta is min(eps, a eps^2/2); epsilon_delta with delta > 0 is refused', () => {
    const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one', orders: [2, 10] });
    acc.compose({ kind: 'zcdp', rho: 0.1, xi: 0.05 });
    expect(acc.rdp).toEqual([0.25, 1.05]);
    const pure = new RdpAccountant({ neighboringRelation: 'add_or_remove_one', orders: [2, 10] }).compose({
      kind: 'epsilon_delta',
      epsilon: 0.5,
      delta: 0,
    });
    expect(pure.rdp).toEqual([0.25, 0.5]);
    const e: DpEvent = { kind: 'composed', events: [{ kind: 'epsilon_delta', epsilon: 1, delta: 1e-6 }] };
    expect(() => pure.compose(e)).toThrowError(
      expect.objectContaining({ code: 'unsupported_event', pointer: '/events/0' }),
    );
  });

  it('refuses sampled_without_replacement, poisson_sampled(laplace), replace_one poisson_sampled, at pointers', () => {
    const add = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });
    const swr: DpEvent = {
      kind: 'sampled_without_replacement',
      source_dataset_size: 100,
      sample_size: 10,
      event: { kind: 'gaussian', noise_multiplier: 1 },
    };
    expect(() => add.compose({ kind: 'self_composed', count: 2, event: swr })).toThrowError(
      expect.objectContaining({ code: 'unsupported_event', pointer: '/event' }),
    );
    const lap: DpEvent = {
      kind: 'poisson_sampled',
      sampling_probability: 0.1,
      event: { kind: 'laplace', noise_multiplier: 1 },
    };
    expect(() => add.compose(lap)).toThrowError(
      expect.objectContaining({ code: 'unsupported_event', pointer: '/event' }),
    );
    const rep = new RdpAccountant({ neighboringRelation: 'replace_one' });
    expect(rep.supports(step(0.1, 1))).toBe(false);
    expect(rep.supports({ kind: 'gaussian', noise_multiplier: 1 })).toBe(true);
  });
});
