import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { composePmf, selfComposePmf } from './compose.js';
import { normCdf } from './normal.js';
import { additiveNoisePld, epsilonDeltaPld, pldDelta, pldEpsilon, pldNarrowed } from './pld.js';
import { deltaForEpsilon, epsilonForDelta, finiteMass, type Pmf } from './pmf.js';

const D = 1e-4;

/**
 * Exact delta of the Gaussian mechanism: Phi(-eps/mu + mu/2) - e^eps Phi(-eps/mu - mu/2), mu = 1/sigma (Balle & Wang
 * 2018, Thm. 8).
 */
function gaussianDelta(sigma: number, eps: number): number {
  const mu = 1 / sigma;
  return normCdf(-eps / mu + mu / 2) - Math.exp(eps) * normCdf(-eps / mu - mu / 2);
}

const totalMass = (p: Pmf) => finiteMass(p.probs) + p.infinityMass;

describe('connect-the-dots PLDs', () => {
  it('the Gaussian PLD is exact on the grid and pessimistic between grid points', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (sigma, eps) => {
          const pld = additiveNoisePld('gaussian', sigma, 1, 1e-2);
          const truth = gaussianDelta(sigma, eps);
          const got = pldDelta(pld, 1e-2, eps);
          expect(got).toBeGreaterThanOrEqual(truth - 1e-13); // round-off only
          const onGrid = Math.round(eps / 1e-2) * 1e-2;
          expect(Math.abs(pldDelta(pld, 1e-2, onGrid) - gaussianDelta(sigma, onGrid))).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('a Gaussian PLD too wide for the grid is narrowed pessimistically', () => {
    const sigma = 0.03; // loss ~ N(1/(2 sigma^2), 1/sigma^2) = N(556, 33^2): wider than MAX_BINS * 1e-4
    const pld = additiveNoisePld('gaussian', sigma, 1, D);
    for (const eps of [500, 600, 700])
      expect(pldDelta(pld, D, eps)).toBeGreaterThanOrEqual(gaussianDelta(sigma, eps) - 1e-12);
    let [lo, hi] = [0, 2000]; // the exact epsilon at delta 1e-5, by bisection on the exact delta
    for (let i = 0; i < 60; i++)
      [lo, hi] = gaussianDelta(sigma, (lo + hi) / 2) > 1e-5 ? [(lo + hi) / 2, hi] : [lo, (lo + hi) / 2];
    expect(pldEpsilon(pld, D, 1e-5)).toBeGreaterThanOrEqual(hi - 1e-9);
    expect(pldNarrowed(pld)).toBe(true); // so PldAccountant knows to recompose on a coarser grid
    expect(pldNarrowed(additiveNoisePld('gaussian', sigma, 1, 1e-3))).toBe(false);
  });

  it('sampled PLDs hold unit mass in both directions, and q = 1 is symmetric', () => {
    for (const kind of ['gaussian', 'laplace'] as const) {
      const sampled = additiveNoisePld(kind, 1.3, 0.02, D);
      expect(sampled.add).not.toBe(sampled.remove);
      for (const p of [sampled.remove, sampled.add]) {
        // Connect-the-dots masses telescope to exactly 1; clearing negative round-off can only add (below 1e-7).
        expect(totalMass(p)).toBeGreaterThan(1 - 1e-12);
        expect(totalMass(p)).toBeLessThan(1 + 1e-7);
      }
      const plain = additiveNoisePld(kind, 1.3, 1, D);
      expect(plain.add).toBe(plain.remove);
    }
  });

  it('the Laplace PLD has no infinite loss and is pure 1/b-DP', () => {
    const pld = additiveNoisePld('laplace', 0.5, 1, D);
    expect(pld.remove.infinityMass).toBeLessThan(1e-15); // zero up to round-off
    expect(pldEpsilon(pld, D, 1e-12)).toBeCloseTo(2, 3);
  });

  it('a Poisson-sampled Laplace PLD is pure DP at the amplified epsilon log(1 + q(e^{1/b} - 1))', () => {
    // Amplification by subsampling of pure DP (Balle, Barthe, Gaboardi 2018, Thm. 8), tight for Laplace.
    for (const [b, q] of [
      [0.5, 0.1],
      [1, 0.01],
      [2, 0.5],
    ] as const) {
      const pld = additiveNoisePld('laplace', b, q, D);
      const amplified = Math.log1p(q * Math.expm1(1 / b));
      const eps = pldEpsilon(pld, D, 1e-12);
      expect(eps).toBeGreaterThanOrEqual(amplified - 1e-9);
      expect(eps).toBeLessThanOrEqual(amplified + D);
    }
  });

  it('an (epsilon, delta) PLD reproduces its own guarantee', () => {
    const pld = epsilonDeltaPld(1, 1e-6, D);
    expect(pldDelta(pld, D, 1)).toBeCloseTo(1e-6, 15);
    expect(pldEpsilon(pld, D, 1e-6)).toBeCloseTo(1, 4);
    expect(pldEpsilon(epsilonDeltaPld(1e9, 0, D), D, 0.5)).toBe(Infinity); // off the grid: counted as infinite
  });
});

describe('PMF composition', () => {
  const pmf = fc
    .tuple(
      fc.integer({ min: -50, max: 50 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }),
      fc.double({ min: 0, max: 0.01, noNaN: true }),
    )
    .filter(([, a]) => a.some((x) => x > 0))
    .map(([offset, a, inf]): Pmf => {
      const s = a.reduce((x, y) => x + y, 0);
      return { offset, probs: Float64Array.from(a, (x) => (x / s) * (1 - inf)), infinityMass: inf };
    });

  it('delta of a composition equals the double sum over both PLDs (never below it)', () => {
    fc.assert(
      fc.property(pmf, pmf, fc.double({ min: 0, max: 0.02, noNaN: true }), (a, b, eps) => {
        let want = a.infinityMass + b.infinityMass - a.infinityMass * b.infinityMass;
        a.probs.forEach((pa, i) =>
          b.probs.forEach((pb, j) => {
            const loss = (a.offset + i + b.offset + j) * D;
            if (loss > eps) want -= pa * pb * Math.expm1(eps - loss);
          }),
        );
        const got = deltaForEpsilon(composePmf(a, b), D, eps);
        expect(got).toBeGreaterThanOrEqual(want - 1e-14);
        expect(got - want).toBeLessThan(1e-12);
      }),
      { numRuns: 60 },
    );
  });

  it('self-composition by FFT power matches repeated composition', () => {
    fc.assert(
      fc.property(pmf, fc.integer({ min: 0, max: 9 }), (a, k) => {
        let want: Pmf = { offset: 0, probs: Float64Array.of(1), infinityMass: 0 };
        for (let i = 0; i < k; i++) want = composePmf(want, a, 0);
        const got = selfComposePmf(a, k);
        for (const delta of [1e-3, 1e-1]) {
          if (Math.abs(want.infinityMass - delta) < 1e-12) continue; // the added 1e-15 tail may tip a tie to Infinity
          const e1 = epsilonForDelta(want, D, delta);
          const e2 = epsilonForDelta(got, D, delta);
          expect(e2).toBeGreaterThanOrEqual(e1 - 1e-9);
          if (e1 !== Infinity) expect(e2 - e1).toBeLessThan(1e-6 + 1e-6 * Math.abs(e1));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a composition wider than MAX_BINS points is marked narrowed, and the mark survives later compositions', () => {
    const probs = new Float64Array(3001);
    [probs[0], probs[3000]] = [0.5, 0.5];
    const step: Pmf = { offset: 0, probs, infinityMass: 0 }; // losses 0 and 3000 grid points, evenly
    expect(selfComposePmf(step, 100).narrowed).toBeUndefined();
    // Chernoff window ~ 2 * 8.3 sd = 8.3 * 3000 * sqrt(10^4) points > MAX_BINS
    const wide = selfComposePmf(step, 10_000);
    expect(wide.narrowed).toBe(true);
    expect(composePmf(wide, { offset: 2, probs: Float64Array.of(1), infinityMass: 0 }).narrowed).toBe(true);
    expect(composePmf(step, step).narrowed).toBeUndefined();
    expect(epsilonDeltaPld(1e9, 0, D).remove.narrowed).toBe(true);
  });

  it('epsilonForDelta inverts deltaForEpsilon', () => {
    const pld = additiveNoisePld('gaussian', 1.1, 0.01, D);
    for (const eps of [0.01, 0.1, 0.5, 1, 2]) {
      const delta = pldDelta(pld, D, eps);
      expect(pldEpsilon(pld, D, delta)).toBeCloseTo(eps, 8);
    }
  });
});
