import { describe, expect, it } from 'vitest';
import { erfc, logErfc, normCdf, normLogCdf, normPpf, normPpfLog } from './normal.js';

// Reference erfc values: mpmath 1.3.0 with mp.dps = 30, `mpmath.erfc(t)`, computed for this test. Kept as the
// 30-digit strings mpmath printed; Number() rounds each to the nearest double.
const ERFC: [number, number][] = (
  [
    [0.5, '0.479500122186953462317253346108'],
    [1, '0.157299207050285130658779364917'],
    [2, '0.00467773498104726583793074363275'],
    [2.5, '0.000406952017444958939564215739975'],
    [3, '0.0000220904969985854413727761295823'],
    [5, '1.53745979442803485018834348538e-12'],
    [10, '2.08848758376254475700078629496e-45'],
    [27, '5.23704892378925568501606768285e-319'],
  ] as [number, string][]
).map(([t, v]) => [t, Number(v)]);

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('normal distribution functions', () => {
  it.each(ERFC)('erfc(%d) matches mpmath to 1e-13 relative', (t, v) => {
    expect(rel(erfc(t), v)).toBeLessThan(1e-13);
    expect(rel(erfc(-t), 2 - v)).toBeLessThan(1e-15);
  });

  it('logErfc stays finite where erfc underflows, and agrees where both exist', () => {
    for (const [t, v] of ERFC.slice(0, 7))
      expect(Math.abs(logErfc(t) - Math.log(v))).toBeLessThan(1e-13 * Math.max(1, -Math.log(v)));
    // log erfc(t) = -t^2 - log(t sqrt(pi)) + log(1 - 1/(2t^2) + ...) (Abramowitz & Stegun 7.1.23)
    const t = 100;
    expect(logErfc(t)).toBeCloseTo(
      -t * t - Math.log(t * Math.sqrt(Math.PI)) + Math.log1p(-1 / (2 * t * t) + 3 / (4 * t ** 4)),
      9,
    );
  });

  it('normCdf, normLogCdf and normPpfLog are consistent', () => {
    expect(normCdf(0)).toBe(0.5);
    expect([normCdf(-Infinity), normCdf(Infinity), normLogCdf(-Infinity), normLogCdf(Infinity) + 0]).toEqual([
      0,
      1,
      -Infinity,
      0,
    ]);
    expect(rel(normCdf(-1), 0.5 * 0.317310507862914)).toBeLessThan(1e-12); // 1 - erf(1/sqrt 2)
    for (const z of [-60, -20, -5, -1, 0, 1, 5]) {
      const lc = normLogCdf(z);
      if (z > -30) expect(Math.abs(lc - Math.log(normCdf(z)))).toBeLessThan(1e-12 * Math.max(1, -lc));
      if (z < 0) expect(Math.abs(normPpfLog(lc) - z)).toBeLessThan(1e-9 * Math.max(1, -z));
    }
  });

  it('normPpf inverts normCdf on both halves and is infinite at 0 and 1', () => {
    // scipy.stats.norm.ppf(0.975) = 1.959963984540054 (SciPy 1.17.1)
    expect(rel(normPpf(0.975), 1.959963984540054)).toBeLessThan(1e-13);
    expect(normPpf(0.025)).toBeCloseTo(-normPpf(0.975), 13);
    expect([normPpf(0), normPpf(1), normPpf(0.5)]).toEqual([-Infinity, Infinity, normPpfLog(Math.log(0.5))]);
    for (const p of [1e-12, 0.3, 0.7, 1 - 1e-9]) expect(Math.abs(normCdf(normPpf(p)) - p)).toBeLessThan(1e-13);
  });
});
