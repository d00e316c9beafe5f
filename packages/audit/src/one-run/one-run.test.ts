import { describe, expect, it } from 'vitest';
import { gdpDelta } from '@dpledger/accounting';
import { auditFromScores, kGrid, oneRunEpsilonLowerBound, steinkePValue, type OneRunMethod } from '../index.js';
import { codeOf } from '../fixtures/error-code.js';
import reference from '../fixtures/one-run-reference.json' with { type: 'json' };

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

/** A small seeded normal stream for test data (splitmix32 + Box-Muller); not for anything private. */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (((z ^ (z >>> 16)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

describe('oneRunEpsilonLowerBound', () => {
  // provenance: packages/audit/scripts/one-run-reference.py (SciPy + mpmath, written from the papers)
  it.each(reference.cases)(
    'agrees with the reference to 1e-6 relative: m=$canaries r=$guesses v=$correct delta=$delta',
    (c) => {
      const base = {
        canaries: c.canaries,
        guesses: c.guesses,
        correct: c.correct,
        significance: c.significance,
        delta: c.delta,
      };
      expect(rel(oneRunEpsilonLowerBound({ ...base, method: 'steinke2023' }), c.steinke2023)).toBeLessThan(1e-6);
      if ('mahloujifar2024' in c)
        expect(
          rel(oneRunEpsilonLowerBound({ ...base, method: 'mahloujifar2024' }), c.mahloujifar2024 as number),
        ).toBeLessThan(1e-6);
    },
  );

  it('returns 0 when the guesses are no better than chance', () => {
    expect(
      oneRunEpsilonLowerBound({
        canaries: 1000,
        guesses: 100,
        correct: 50,
        significance: 0.05,
        delta: 1e-5,
        method: 'steinke2023',
      }),
    ).toBe(0);
    expect(
      oneRunEpsilonLowerBound({
        canaries: 1000,
        guesses: 100,
        correct: 50,
        significance: 0.05,
        delta: 1e-5,
        method: 'mahloujifar2024',
      }),
    ).toBe(0);
    expect(
      oneRunEpsilonLowerBound({
        canaries: 1000,
        guesses: 0,
        correct: 0,
        significance: 0.05,
        delta: 1e-5,
        method: 'steinke2023',
      }),
    ).toBe(0);
  });

  it('the bound is the root: the p-value just above it exceeds the significance, just below it does not', () => {
    const c = { canaries: 1000, guesses: 100, correct: 95, delta: 1e-5 };
    const eps = oneRunEpsilonLowerBound({ ...c, significance: 0.05, method: 'steinke2023' });
    expect(steinkePValue({ ...c, eps: eps * (1 - 1e-6) })).toBeLessThanOrEqual(0.05);
    expect(steinkePValue({ ...c, eps: eps * (1 + 1e-6) })).toBeGreaterThan(0.05);
  });

  it('more correct guesses or a looser significance never lower the bound', () => {
    for (const method of ['steinke2023', 'mahloujifar2024'] as OneRunMethod[]) {
      let last = 0;
      for (let v = 50; v <= 100; v += 5) {
        const e = oneRunEpsilonLowerBound({
          canaries: 1000,
          guesses: 100,
          correct: v,
          significance: 0.05,
          delta: 1e-5,
          method,
        });
        expect(e).toBeGreaterThanOrEqual(last);
        last = e;
      }
      const strict = oneRunEpsilonLowerBound({
        canaries: 1000,
        guesses: 100,
        correct: 90,
        significance: 0.01,
        delta: 1e-5,
        method,
      });
      expect(strict).toBeLessThan(
        oneRunEpsilonLowerBound({ canaries: 1000, guesses: 100, correct: 90, significance: 0.1, delta: 1e-5, method }),
      );
    }
  });

  it('refuses counts out of range with bad_audit', () => {
    const ok = {
      canaries: 100,
      guesses: 10,
      correct: 9,
      significance: 0.05,
      delta: 1e-5,
      method: 'steinke2023' as const,
    };
    expect(codeOf(() => oneRunEpsilonLowerBound(ok))).toBe('accepted');
    for (const bad of [
      { correct: 11 },
      { guesses: 101 },
      { canaries: 0 },
      { correct: 1.5 },
      { significance: 0 },
      { significance: 1 },
      { delta: 1 },
      { delta: -1 },
    ]) {
      expect(codeOf(() => oneRunEpsilonLowerBound({ ...ok, ...bad }))).toBe('bad_audit');
    }
    expect(codeOf(() => oneRunEpsilonLowerBound({ ...ok, delta: 0, method: 'mahloujifar2024' }))).toBe('bad_audit');
  });
});

describe('auditFromScores', () => {
  it('on perfectly separated scores finds a large bound and names its selection', () => {
    const inScores = Array.from({ length: 500 }, (_, i) => 100 + i);
    const outScores = Array.from({ length: 500 }, (_, i) => -i);
    const r = auditFromScores({ inScores, outScores, significance: 0.05, delta: 1e-8, method: 'steinke2023' });
    expect(r.selection).toBe('bonferroni');
    expect(r.hypotheses).toBe(kGrid(1000).length);
    expect(r.hypotheses).toBe(20);
    expect(r.testSignificance).toBeCloseTo(0.05 / 20, 15);
    expect(r.correct).toBe(r.guesses);
    // the same counts tested alone at the Bonferroni-corrected level give the same number
    expect(r.epsilonLower).toBe(
      oneRunEpsilonLowerBound({
        canaries: 1000,
        guesses: r.guesses,
        correct: r.correct,
        significance: 0.05 / 20,
        delta: 1e-8,
        method: 'steinke2023',
      }),
    );
    expect(r.epsilonLower).toBeGreaterThan(3);
  });

  it('ties rank left-out canaries first, so identical scores reject nothing', () => {
    const r = auditFromScores({
      inScores: Array(300).fill(1),
      outScores: Array(300).fill(1),
      significance: 0.05,
      delta: 1e-5,
      method: 'steinke2023',
    });
    expect(r.epsilonLower).toBe(0);
  });

  it('stays below the true epsilon of a Gaussian mechanism (mu-GDP scores), and has power against it', () => {
    // in-scores N(mu, 1), out-scores N(0, 1): exactly the trade-off of mu-GDP (Dong, Roth, Su 2019, Def. 2.6)
    const mu = 2;
    const delta = 1e-5;
    let lo = 0,
      hi = 50; // true epsilon of mu-GDP at delta, by bisection on Cor. 2.13
    for (let i = 0; i < 100; i++) {
      const mid = (lo + hi) / 2;
      if (gdpDelta(mu, mid) > delta) lo = mid;
      else hi = mid;
    }
    const trueEps = hi;
    for (const method of ['steinke2023', 'mahloujifar2024'] as OneRunMethod[]) {
      for (const seed of [1, 2]) {
        const z = normals(seed);
        const inScores = Array.from({ length: 1000 }, () => mu + z());
        const outScores = Array.from({ length: 1000 }, () => z());
        for (const selection of ['bonferroni', 'split'] as const) {
          const r = auditFromScores({ inScores, outScores, significance: 0.05, delta, method, selection });
          expect(r.epsilonLower).toBeLessThanOrEqual(trueEps);
          expect(r.epsilonLower).toBeGreaterThan(trueEps / 6);
        }
      }
    }
  });

  it('split selection bounds only the held-out half at the full significance', () => {
    const z = normals(9);
    const r = auditFromScores({
      inScores: Array.from({ length: 400 }, () => 3 + z()),
      outScores: Array.from({ length: 400 }, () => z()),
      significance: 0.05,
      delta: 1e-5,
      method: 'steinke2023',
      selection: 'split',
    });
    expect(r.canaries).toBe(400);
    expect(r.hypotheses).toBe(1);
    expect(r.epsilonLower).toBe(
      oneRunEpsilonLowerBound({
        canaries: 400,
        guesses: r.guesses,
        correct: r.correct,
        significance: 0.05,
        delta: 1e-5,
        method: 'steinke2023',
      }),
    );
  });

  it('tries a fixed geometric grid of k+ that depends on m alone', () => {
    expect(kGrid(8)).toEqual([8, 6, 4, 3, 2, 1]);
    expect(kGrid(1)).toEqual([1]);
  });

  it('refuses non-finite scores and no canaries', () => {
    expect(
      codeOf(() =>
        auditFromScores({ inScores: [NaN], outScores: [0], significance: 0.05, delta: 1e-5, method: 'steinke2023' }),
      ),
    ).toBe('bad_audit');
    expect(
      codeOf(() =>
        auditFromScores({ inScores: [], outScores: [], significance: 0.05, delta: 1e-5, method: 'steinke2023' }),
      ),
    ).toBe('bad_audit');
  });
});
