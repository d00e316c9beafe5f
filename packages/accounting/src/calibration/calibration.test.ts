import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AccountingError,
  PldAccountant,
  RdpAccountant,
  accountantFactory,
  calibrateNoiseMultiplier,
  dpSgdEvent,
  gdpCltEstimate,
  gdpCltNoiseGuess,
  maxStepsForBudget,
} from '@dpledger/accounting';
import { rdpReference } from '../fixtures/reference.js';

const ref = rdpReference();
const rdpEps = (q: number, sigma: number, steps: number, delta: number) =>
  new RdpAccountant({ neighboringRelation: 'add_or_remove_one' })
    .compose(dpSgdEvent(q, sigma, steps))
    .getEpsilon(delta);

describe('calibrateNoiseMultiplier (RDP)', () => {
  for (const c of ref.noise_calibration) {
    it(`eps ${c.target_epsilon}, q=${c.sample_rate}, T=${c.steps}: within 0.01 under target, sigma <= Opacus's`, () => {
      const r = calibrateNoiseMultiplier({
        targetEpsilon: c.target_epsilon,
        targetDelta: c.target_delta,
        samplingProbability: c.sample_rate,
        steps: c.steps,
        accountant: 'rdp',
      });
      expect(r.epsilon).toBeLessThanOrEqual(c.target_epsilon);
      expect(r.epsilon).toBeGreaterThanOrEqual(c.target_epsilon - 0.01);
      // the reported epsilon is the real one
      expect(r.epsilon).toBe(rdpEps(c.sample_rate, r.noiseMultiplier, c.steps, c.target_delta));
      expect(r.noiseMultiplier).toBeLessThanOrEqual(c.opacus_rdp.sigma);
    });
    it(`tight tolerance reproduces dp_accounting's sigma ${c.dp_calibrate_rdp.sigma.toFixed(4)} from below`, () => {
      const r = calibrateNoiseMultiplier({
        targetEpsilon: c.target_epsilon,
        targetDelta: c.target_delta,
        samplingProbability: c.sample_rate,
        steps: c.steps,
        tolerance: 1e-7,
      });
      expect(r.epsilon).toBeLessThanOrEqual(c.target_epsilon);
      // dp_accounting's fractional orders are looser
      expect(r.noiseMultiplier).toBeLessThanOrEqual(c.dp_calibrate_rdp.sigma * (1 + 1e-7));
      expect(Math.abs(r.noiseMultiplier - c.dp_calibrate_rdp.sigma) / c.dp_calibrate_rdp.sigma).toBeLessThan(2e-3);
    });
  }

  it('never returns an epsilon above the target (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.3, max: 8, noNaN: true }),
        fc.double({ min: 0.001, max: 0.1, noNaN: true }),
        fc.integer({ min: 1, max: 5000 }),
        (target, q, steps) => {
          const r = calibrateNoiseMultiplier({
            targetEpsilon: target,
            targetDelta: 1e-5,
            samplingProbability: q,
            steps,
          });
          expect(r.epsilon).toBeLessThanOrEqual(target);
          expect(r.epsilon >= target - 0.01 || r.noiseMultiplier === 1e-3).toBe(true);
        },
      ),
      { numRuns: 8 },
    );
  });

  it('accepts custom factories (a Laplace mechanism composed 10 times)', () => {
    const r = calibrateNoiseMultiplier({
      targetEpsilon: 5,
      targetDelta: 1e-6,
      makeAccountant: () => new RdpAccountant({ neighboringRelation: 'replace_one' }),
      makeEvent: (b) => ({ kind: 'self_composed', count: 10, event: { kind: 'laplace', noise_multiplier: b } }),
    });
    expect(r.epsilon).toBeLessThanOrEqual(5);
    expect(r.epsilon).toBeGreaterThanOrEqual(4.99);
  });

  it('reports impossible targets and bad arguments with codes', () => {
    expect(() =>
      calibrateNoiseMultiplier({
        targetEpsilon: 1e-9,
        targetDelta: 1e-5,
        samplingProbability: 1,
        steps: 1e6,
        bounds: [0.1, 10],
      }),
    ).toThrowError(expect.objectContaining({ code: 'calibration_failed' }));
    expect(() =>
      calibrateNoiseMultiplier({ targetEpsilon: -1, targetDelta: 1e-5, samplingProbability: 0.1, steps: 10 }),
    ).toThrow(AccountingError);
    expect(() =>
      calibrateNoiseMultiplier({ targetEpsilon: 1, targetDelta: 1e-5, samplingProbability: 0.1, steps: 1.5 }),
    ).toThrow(AccountingError);
    expect(() => accountantFactory('nope' as never)).toThrow(AccountingError);
  });
});

describe('calibrateNoiseMultiplier (PLD)', () => {
  it("reproduces dp_accounting's PLD calibration (q=0.004267, 1000 steps, eps 0.5) from below", () => {
    const c = ref.noise_calibration[0]!;
    const r = calibrateNoiseMultiplier({
      targetEpsilon: c.target_epsilon,
      targetDelta: c.target_delta,
      samplingProbability: c.sample_rate,
      steps: c.steps,
      accountant: 'pld',
      tolerance: 1e-3,
    });
    expect(r.epsilon).toBeLessThanOrEqual(c.target_epsilon);
    expect(r.epsilon).toBeGreaterThanOrEqual(c.target_epsilon - 1e-3);
    expect(Math.abs(r.noiseMultiplier - c.dp_calibrate_pld.sigma) / c.dp_calibrate_pld.sigma).toBeLessThan(2e-3);
    expect(r.noiseMultiplier).toBeLessThan(
      calibrateNoiseMultiplier({
        targetEpsilon: c.target_epsilon,
        targetDelta: c.target_delta,
        samplingProbability: c.sample_rate,
        steps: c.steps,
      }).noiseMultiplier,
    );
  });

  it('PLD epsilon <= RDP epsilon for DP-SGD (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 0.1, noNaN: true }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.integer({ min: 1, max: 100 }),
        (q, sigma, steps) => {
          const pld = new PldAccountant({ neighboringRelation: 'add_or_remove_one' })
            .compose(dpSgdEvent(q, sigma, steps))
            .getEpsilon(1e-5);
          expect(pld).toBeLessThanOrEqual(rdpEps(q, sigma, steps, 1e-5) * (1 + 1e-9));
        },
      ),
      { numRuns: 5 },
    );
  });
});

describe('maxStepsForBudget', () => {
  it('returns the last step count within budget: one more step exceeds it', () => {
    const r = maxStepsForBudget({
      targetEpsilon: 1.7118,
      targetDelta: 1e-5,
      samplingProbability: 0.01,
      noiseMultiplier: 1.1,
    });
    expect(r.epsilon).toBeLessThanOrEqual(1.7118);
    expect(r.epsilon).toBeCloseTo(rdpEps(0.01, 1.1, r.steps, 1e-5), 9);
    expect(rdpEps(0.01, 1.1, r.steps + 1, 1e-5)).toBeGreaterThan(1.7118);
    expect(Math.abs(r.steps - 1000)).toBeLessThan(5); // 1000 steps cost ~1.71177
  });
  it('0 steps when even one step is too expensive; the cap when nothing is', () => {
    expect(
      maxStepsForBudget({ targetEpsilon: 0.01, targetDelta: 1e-5, samplingProbability: 1, noiseMultiplier: 1 }),
    ).toEqual({ steps: 0, epsilon: 0 });
    expect(
      maxStepsForBudget({
        targetEpsilon: 1,
        targetDelta: 1e-5,
        samplingProbability: 1e-6,
        noiseMultiplier: 50,
        maxSteps: 1000,
      }).steps,
    ).toBe(1000);
  });
});

describe('gdpCltEstimate (an approximation, not a bound)', () => {
  it("matches Opacus's GDP Poisson figure and is labelled an approximation", () => {
    for (const c of ref.published_figures) {
      const g = gdpCltEstimate({ samplingProbability: c.q, noiseMultiplier: c.sigma, steps: c.steps, delta: c.delta });
      expect(g.approximation).toBe(true);
      expect(Math.abs(g.epsilon - c.opacus_gdp_poisson.eps) / c.opacus_gdp_poisson.eps).toBeLessThan(1e-6);
      expect(g.epsilon).toBeLessThan(c.opacus_rdp.eps); // it undercuts the RDP bound: never use it to spend budget
    }
  });

  it('gdpCltNoiseGuess inverts gdpCltEstimate (the calibration starting point)', () => {
    for (const c of ref.published_figures) {
      const { epsilon } = gdpCltEstimate({
        samplingProbability: c.q,
        noiseMultiplier: c.sigma,
        steps: c.steps,
        delta: c.delta,
      });
      expect(gdpCltNoiseGuess({ epsilon, delta: c.delta, samplingProbability: c.q, steps: c.steps })).toBeCloseTo(
        c.sigma,
        6,
      );
    }
  });
});
