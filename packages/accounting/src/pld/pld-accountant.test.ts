import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccountingError, RdpAccountant, formatEpsilon, type DpEvent } from '@dpledger/accounting';
import { PldAccountant } from './index.js';
import { describeAccountantContract } from '../testing/accountant-contract.js';
import reference from './fixtures/pld-reference.json' with { type: 'json' };
import { readmeExample, rdpReference } from '../fixtures/reference.js';
import { normCdf } from './normal.js';
import { additiveNoisePld, composePld, IDENTITY_PLD, pldDelta, pldEpsilon, selfComposePld } from './pld.js';
import { MAX_GROUPS } from './pld-cost.js';
import { deltaForEpsilon, epsilonForDelta } from './pmf.js';

const rdpRef = rdpReference();

const dpsgd = (q: number, sigma: number, steps: number): DpEvent => ({
  kind: 'self_composed',
  count: steps,
  event: { kind: 'poisson_sampled', sampling_probability: q, event: { kind: 'gaussian', noise_multiplier: sigma } },
});
const pldEps = (event: DpEvent, delta: number) => new PldAccountant().compose(event).getEpsilon(delta);
/** 1e-3 relative of dp_accounting's PLD at interval 1e-4 (the reference tolerance). */
const TOL = 1e-3;

// Counts multiply down to the leaves (pld-cost.ts), so every way of writing a repetition gives identical numbers.
describeAccountantContract('PldAccountant', () => new PldAccountant(), { numRuns: 4 });

describe('PldAccountant against dp_accounting and PRV (fixtures/pld-reference.json)', () => {
  it.each(reference.pld_epsilon)('DP-SGD q=$q sigma=$sigma steps=$steps', (r) => {
    const eps = pldEps(dpsgd(r.q, r.sigma, r.steps), r.delta);
    expect(Math.abs(eps - r['dp_accounting_pld_1e-4']) / r['dp_accounting_pld_1e-4']).toBeLessThan(TOL);
    expect(eps).toBeGreaterThanOrEqual(r.prv_eps_lower);
  });

  it.each(reference.published_figures)('MNIST tutorial sigma=$sigma steps=$steps', (r) => {
    const eps = pldEps(dpsgd(r.q, r.sigma, r.steps), r.delta);
    const want = r['dp_pld_vdi_0.0001'].eps;
    expect(Math.abs(eps - want) / want).toBeLessThan(TOL);
    expect(eps).toBeGreaterThanOrEqual(r.prv_accountant_ms.eps_lower);
  });

  it.each(reference.heterogeneous)('heterogeneous $name', (r) => {
    const event: DpEvent = { kind: 'composed', events: r.components.map((c) => dpsgd(c.q, c.sigma, c.steps)) };
    const eps = pldEps(event, r.delta);
    const want = r['dp_pld_vdi_0.0001'].eps;
    expect(Math.abs(eps - want) / want).toBeLessThan(TOL);
    expect(eps).toBeGreaterThanOrEqual(r.opacus_prv.eps_lower);
  });

  it.each(reference.laplace)('laplace b=$scale_b delta=$delta', (r) => {
    const eps = new PldAccountant()
      .compose({ kind: 'laplace', noise_multiplier: r.scale_b }, r.count)
      .getEpsilon(r.delta);
    const want = r['dp_pld_vdi_0.0001'].eps;
    expect(Math.abs(eps - want) / want).toBeLessThan(TOL);
    expect(eps).toBeGreaterThanOrEqual(r.prv_accountant_ms.eps_lower);
    expect(eps).toBeGreaterThanOrEqual(r.closed_form_single_eps - 1e-9);
  });

  it.each(reference.gaussian)('gaussian sigma=$sigma count=$count', (r) => {
    const eps = new PldAccountant()
      .compose({ kind: 'gaussian', noise_multiplier: r.sigma }, r.count)
      .getEpsilon(r.delta);
    const want = r['dp_pld_vdi_0.0001'].eps;
    expect(Math.abs(eps - want) / want).toBeLessThan(TOL);
    expect(eps).toBeGreaterThanOrEqual(r.mpmath_exact.eps); // the exact value: never optimistic
  });

  it("gives the README's 1.5154 (q=0.01, sigma=1.1, 1000 steps, delta=1e-5) inside an independent FFT bracket", () => {
    // fixtures/readme-example.json: numpy PLD rounded up and down, no code shared with this library
    const ex = readmeExample();
    const eps = pldEps(dpsgd(ex.q, ex.sigma, ex.steps), ex.delta);
    expect(eps).toBeGreaterThanOrEqual(ex.pld_fft.eps_lower);
    expect(eps).toBeLessThanOrEqual(ex.pld_fft.eps_upper);
    expect(Math.abs(eps - ex.pld_fft.eps_estimate) / ex.pld_fft.eps_estimate).toBeLessThan(TOL);
    expect(formatEpsilon(eps, 4)).toBe(String(ex.readme.pld));
  });
});

describe('PldAccountant behaviour', () => {
  it('takes the worse of the remove and add directions', () => {
    const acc = new PldAccountant().compose(dpsgd(0.05, 0.8, 50));
    const eps = acc.getEpsilon(1e-5);
    expect(acc.getDelta(eps)).toBeLessThanOrEqual(1e-5 * (1 + 1e-6));
    expect(acc.getDelta(eps * 0.99)).toBeGreaterThan(1e-5);
    // the directions themselves: the accountant's delta is the larger of the two, whichever slot holds it
    const step = selfComposePld(additiveNoisePld('gaussian', 0.8, 0.05, 1e-4), 50);
    const swapped = { remove: step.add, add: step.remove };
    for (const e of [0.5, 1, 2]) {
      const [remove, add] = [deltaForEpsilon(step.remove, 1e-4, e), deltaForEpsilon(step.add, 1e-4, e)];
      expect(remove).toBeGreaterThan(add * 1.5); // the directions differ, so taking the wrong one would show
      expect(acc.getDelta(e)).toBeCloseTo(remove, 12);
      expect(pldDelta(step, 1e-4, e)).toBe(remove);
      expect(pldDelta(swapped, 1e-4, e)).toBe(remove); // the worse direction in the add slot is still found
    }
    expect(pldEpsilon(swapped, 1e-4, 1e-5)).toBe(pldEpsilon(step, 1e-4, 1e-5));
    expect(pldEpsilon(swapped, 1e-4, 1e-5)).toBeGreaterThan(epsilonForDelta(step.add, 1e-4, 1e-5));
  });

  it('composes epsilon_delta events pessimistically (basic composition is an upper bound)', () => {
    const acc = new PldAccountant().compose({ kind: 'epsilon_delta', epsilon: 0.5, delta: 1e-6 }, 4);
    expect(acc.getDelta(2)).toBeLessThanOrEqual(4e-6 + 1e-12);
    expect(acc.getEpsilon(4e-6)).toBeLessThanOrEqual(2 + 1e-3);
    expect(acc.getEpsilon(4e-6)).toBeGreaterThan(1);
  });

  it('accepts gaussian and laplace under replace_one and refuses Poisson sampling there', () => {
    const acc = new PldAccountant({ neighboringRelation: 'replace_one' });
    expect(acc.supports({ kind: 'gaussian', noise_multiplier: 1 })).toBe(true);
    expect(acc.supports({ kind: 'laplace', noise_multiplier: 1 })).toBe(true);
    expect(() => acc.compose(dpsgd(0.01, 1, 10))).toThrowError(
      expect.objectContaining({ code: 'unsupported_event', pointer: '/event' }),
    );
  });

  it('refuses zcdp, sampling without replacement and Poisson-sampled non-additive events with a pointer', () => {
    const acc = new PldAccountant();
    expect(acc.supports({ kind: 'zcdp', rho: 0.1, xi: 0 })).toBe(false);
    const swr: DpEvent = {
      kind: 'sampled_without_replacement',
      source_dataset_size: 100,
      sample_size: 10,
      event: { kind: 'gaussian', noise_multiplier: 1 },
    };
    expect(acc.supports(swr)).toBe(false);
    const nested: DpEvent = {
      kind: 'poisson_sampled',
      sampling_probability: 0.1,
      event: { kind: 'epsilon_delta', epsilon: 1, delta: 0 },
    };
    expect(() => acc.compose({ kind: 'composed', events: [nested] })).toThrowError(
      expect.objectContaining({ pointer: '/events/0/event' }),
    );
    expect(acc.getEpsilon(1e-5)).toBe(0);
  });

  it('folds many distinct mechanisms into one PLD as they come, without changing the result', () => {
    const events: DpEvent[] = Array.from({ length: 20 }, (_, i) => ({ kind: 'laplace', noise_multiplier: 2 + i / 10 }));
    const together = new PldAccountant().compose({ kind: 'composed', events });
    const oneByOne = new PldAccountant();
    for (const e of events) oneByOne.compose(e);
    const eps = together.getEpsilon(1e-6);
    expect(oneByOne.getEpsilon(1e-6)).toBeCloseTo(eps, 9);
    // both paths above fold (20 leaves > MAX_GROUPS); the reference composes the 20 PLDs directly, with no folding
    expect(events.length).toBeGreaterThan(MAX_GROUPS);
    const direct = events.reduce(
      (pld, e) =>
        composePld(pld, additiveNoisePld('laplace', (e as { noise_multiplier: number }).noise_multiplier, 1, 1e-4)),
      IDENTITY_PLD,
    );
    expect(eps).toBeCloseTo(pldEpsilon(direct, 1e-4, 1e-6), 9);
    // Pure DP composes at most additively (Dwork & Roth 2014, Thm. 3.16), and PLD is tighter for 20 Laplace releases.
    const basic = events.reduce((s, e) => s + 1 / (e as { noise_multiplier: number }).noise_multiplier, 0);
    expect(eps).toBeLessThan(basic);
    expect(eps).toBeGreaterThan(basic / 4);
  });

  it('validates its options and arguments', () => {
    expect(() => new PldAccountant({ valueDiscretizationInterval: 0 })).toThrow(AccountingError);
    expect(() => new PldAccountant({ valueDiscretizationInterval: Number.NaN })).toThrow(AccountingError);
    expect(() => new PldAccountant().getEpsilon(-1)).toThrow(AccountingError);
    expect(() => new PldAccountant().getDelta(Number.NaN)).toThrow(AccountingError);
  });
});

describe('PldAccountant properties (fast-check)', () => {
  const q = fc.double({ min: 0.001, max: 0.2, noNaN: true });
  const sigma = fc.double({ min: 0.7, max: 4, noNaN: true });
  const steps = fc.integer({ min: 1, max: 60 });
  const delta = fc.double({ min: 1e-8, max: 1e-3, noNaN: true });
  const opts = { numRuns: 6 };

  it('is never above RDP (the PLD bound is tighter)', () => {
    fc.assert(
      fc.property(q, sigma, steps, delta, (q, s, k, d) => {
        const rdp = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' })
          .compose(dpsgd(q, s, k))
          .getEpsilon(d);
        expect(pldEps(dpsgd(q, s, k), d)).toBeLessThanOrEqual(rdp * (1 + 1e-9));
      }),
      opts,
    );
  });

  it('is non-decreasing in steps and q, non-increasing in sigma and delta', () => {
    fc.assert(
      fc.property(q, sigma, steps, delta, (q, s, k, d) => {
        const base = pldEps(dpsgd(q, s, k), d);
        const slack = 1e-9 * (1 + base);
        expect(pldEps(dpsgd(q, s, k + 7), d)).toBeGreaterThanOrEqual(base - slack);
        expect(pldEps(dpsgd(Math.min(1, q * 1.5), s, k), d)).toBeGreaterThanOrEqual(base - slack);
        expect(pldEps(dpsgd(q, s * 1.3, k), d)).toBeLessThanOrEqual(base + slack);
        expect(pldEps(dpsgd(q, s, k), d * 10)).toBeLessThanOrEqual(base + slack);
      }),
      opts,
    );
  });

  it('getDelta(getEpsilon(delta)) is delta', () => {
    fc.assert(
      fc.property(q, sigma, steps, delta, (q, s, k, d) => {
        const acc = new PldAccountant().compose(dpsgd(q, s, k));
        const eps = acc.getEpsilon(d);
        if (eps > 0) expect(Math.abs(acc.getDelta(eps) - d) / d).toBeLessThan(1e-6);
      }),
      opts,
    );
  });
});

describe('epsilon in the hundreds (issue 8.13: a grid too narrow for the composition)', () => {
  // The composed loss spans ~310 nats here, wider than MAX_BINS points at interval 1e-4 (~210 nats). The old code
  // wrapped the low part of the FFT window onto its top (sound, but 299 where RDP says 226). Now the accountant
  // recomposes on a coarser grid whose span fits, so nothing is wrapped.
  const wide = dpsgd(0.1, 0.8, 10_000);
  const acc = new PldAccountant().compose(wide);

  it('q=0.1 sigma=0.8 10000 steps, delta=1e-7: below Opacus RDP (rdp-reference.json, Opacus 1.5.4 orders)', () => {
    const opacus = rdpRef.rdp_epsilon.find((r) => r.q === 0.1 && r.sigma === 0.8 && r.steps === 10_000)!;
    expect(opacus.delta).toBe(1e-7);
    expect(acc.getEpsilon(1e-7)).toBeLessThan(opacus.opacus.eps);
  });

  it('delta=1e-5: below the RDP bound computed here, agreeing with a PLD that fits its grid (interval 1e-3)', () => {
    const rdp = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(wide).getEpsilon(1e-5);
    const eps = acc.getEpsilon(1e-5);
    expect(eps).toBeLessThan(rdp * 0.97); // 225.64 by RDP; 214.88 by PLD; the wrapped grid gave 299.2
    const coarse = new PldAccountant({ valueDiscretizationInterval: 1e-3 }).compose(wide).getEpsilon(1e-5);
    expect(eps).toBeLessThanOrEqual(coarse * (1 + 1e-9)); // a finer pessimistic grid is never looser
    expect(eps).toBeGreaterThan(coarse * (1 - 1e-4));
    expect(acc.getDelta(eps)).toBeLessThanOrEqual(1e-5 * (1 + 1e-6));
    expect(acc.effectiveInterval).toBeGreaterThan(1e-4);
    expect(new PldAccountant().compose(dpsgd(0.01, 1.1, 1000)).effectiveInterval).toBe(1e-4); // fits: unchanged
  });

  it('an unsampled Gaussian at epsilon ~420 matches the exact value (Balle & Wang 2018, Thm. 8) to 1e-4', () => {
    const sigma = 0.04;
    // delta(eps) = Phi(mu/2 - eps/mu) - e^eps Phi(-mu/2 - eps/mu), mu = 1/sigma (Balle & Wang 2018, Thm. 8)
    const exactDelta = (eps: number) =>
      normCdf(0.5 / sigma - eps * sigma) - Math.exp(eps) * normCdf(-0.5 / sigma - eps * sigma);
    let [lo, hi] = [0, 1000];
    for (let i = 0; i < 60; i++)
      [lo, hi] = exactDelta((lo + hi) / 2) > 1e-5 ? [(lo + hi) / 2, hi] : [lo, (lo + hi) / 2];
    const eps = new PldAccountant().compose({ kind: 'gaussian', noise_multiplier: sigma }).getEpsilon(1e-5);
    expect(eps).toBeGreaterThanOrEqual(hi - 1e-9);
    expect(eps).toBeLessThan(hi * (1 + 1e-4));
  });
});
