import { readFileSync } from 'node:fs';
import { all, create, type BigNumber } from 'mathjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { poissonSampledGaussianRdp } from '@dpledger/accounting';
import { rdpReference } from '../fixtures/reference.js';
import { fractionalSeriesRdp } from './sampled-gaussian.js';

const ref = rdpReference();

describe('poissonSampledGaussianRdp vs the 50-digit mpmath reference', () => {
  for (const c of ref.rdp_per_order) {
    it(`q=${c.q}, sigma=${c.sigma}: within 1e-9 relative at every order, never below by more than 1e-12`, () => {
      c.orders.forEach((order, k) => {
        const truth = c.mpmath_reference[k]!;
        const ours = poissonSampledGaussianRdp(c.q, c.sigma, order);
        const rel = (ours - truth) / truth;
        expect(Math.abs(rel), `order ${order}`).toBeLessThan(1e-9);
        expect(rel, `order ${order}`).toBeGreaterThan(-1e-12);
      });
    });
  }
});

describe('integer orders vs an exact 60-digit binomial sum (mathjs BigNumber)', () => {
  const math = create(all!, { number: 'BigNumber', precision: 60 });
  type Big = BigNumber;
  const bn = (x: number | string): Big => math.bignumber(x) as Big;
  // A_a = sum_k C(a,k) (1-q)^{a-k} q^k exp((k^2-k)/(2 sigma^2)) (Mironov, Talwar, Zhang 2019, Sec. 3.2)
  function exactRdp(q: number, sigma: number, a: number): number {
    let sum = bn(0);
    const Q = bn(q);
    const P = bn(1).minus(Q);
    const twoS2 = bn(2).times(bn(sigma)).times(bn(sigma));
    for (let k = 0; k <= a; k++) {
      const e = bn(k * k - k)
        .div(twoS2)
        .exp();
      const c = math.combinations(bn(a), bn(k)) as Big;
      sum = sum.plus(
        c
          .times(P.pow(a - k))
          .times(Q.pow(k))
          .times(e),
      );
    }
    return sum
      .ln()
      .div(a - 1)
      .toNumber();
  }
  it.each([
    [1e-6, 1.1, 2],
    [1e-6, 100, 7],
    [0.01, 0.3, 32],
    [0.004267, 1.1, 256],
    [0.5, 0.7, 64],
    [0.999, 2, 5],
  ])('q=%f sigma=%f order=%i', (q, sigma, a) => {
    const truth = exactRdp(q, sigma, a);
    const ours = poissonSampledGaussianRdp(q, sigma, a);
    expect(Math.abs(ours - truth) / truth).toBeLessThan(1e-12);
    expect(ours).toBeGreaterThanOrEqual(truth * (1 - 1e-14));
  });
});

describe('corners of q in [1e-6, 1), sigma in [0.3, 100] vs 50-digit mpmath quadrature (rdp-extremes.json)', () => {
  const extremes = JSON.parse(readFileSync(new URL('../fixtures/rdp-extremes.json', import.meta.url), 'utf8')) as {
    cases: { q: number; sigma: number; order: number; rdp: string }[];
  };
  it.each(extremes.cases.map((c) => [c.q, c.sigma, c.order, c.rdp] as const))(
    'q=%f sigma=%f order=%f',
    (q, sigma, order, rdp) => {
      const truth = Number(rdp);
      const rel = (poissonSampledGaussianRdp(q, sigma, order) - truth) / truth;
      expect(Math.abs(rel)).toBeLessThan(1e-9);
      expect(rel).toBeGreaterThan(-1e-12);
    },
  );
});

describe('stability over q in [1e-6, 1], sigma in [0.3, 100], orders up to 1024', () => {
  it('finite, positive, non-decreasing in the order and in q, at the corners', () => {
    const orders = [1.01, 1.1, 1.5, 2, 2.5, 7.3, 31.7, 64, 128, 500.5, 1000.5, 1024];
    for (const sigma of [0.3, 1, 10, 100]) {
      let prevQ: number[] | undefined;
      for (const q of [1e-6, 1e-3, 0.3, 0.999999, 1]) {
        const row = orders.map((a) => poissonSampledGaussianRdp(q, sigma, a));
        for (let i = 0; i < row.length; i++) {
          expect(Number.isFinite(row[i]) && row[i]! > 0, `q=${q} sigma=${sigma} a=${orders[i]}`).toBe(true);
          if (i > 0) expect(row[i]! * (1 + 1e-9)).toBeGreaterThanOrEqual(row[i - 1]!);
          if (prevQ) expect(row[i]! * (1 + 1e-9)).toBeGreaterThanOrEqual(prevQ[i]!);
        }
        prevQ = row;
      }
    }
  });

  it('tends to the plain Gaussian a/(2 sigma^2) as q -> 1 and to q^2 a/(2 sigma^2)-scale as q -> 0', () => {
    expect(poissonSampledGaussianRdp(1 - 1e-12, 2, 3.5) / (3.5 / 8)).toBeCloseTo(1, 6);
    // leading term of D = A - 1 is C(a,2) q^2 (e^{1/sigma^2} - 1) (MTZ19 Sec. 3.2), so RDP ~ a/2 q^2 (e^{1/s^2} - 1)
    const q = 1e-6;
    expect(poissonSampledGaussianRdp(q, 1, 2.5) / ((2.5 / 2) * q * q * Math.expm1(1))).toBeCloseTo(1, 4);
  });
});

describe('fractional orders agree with the exact integer-order sums (fast-check over the whole range)', () => {
  // Uniform on [lo, hi] through an integer: fc.double over a range mostly draws its ends and 0 (sigma was 1 in most
  // runs).
  const uniform = (lo: number, hi: number) =>
    fc.integer({ min: 0, max: 2 ** 30 }).map((i) => lo + ((hi - lo) * i) / 2 ** 30);
  // Log-uniform q over [1e-6, 1], plus the q >= 1/4 band path and q -> 1 (where issue 8.12's counterexample lives).
  const q = fc.oneof(
    uniform(Math.log(1e-6), 0).map(Math.exp),
    uniform(0.25, 1),
    uniform(Math.log(1e-16), Math.log(0.5)).map((x) => 1 - Math.exp(x)),
  );
  const sigma = uniform(Math.log(0.3), Math.log(100)).map(Math.exp);
  const order = uniform(2.001, 1023.999).filter((a) => !Number.isInteger(a));
  it('between its integer neighbours, below their interpolation ((a-1) D_a convex in a: van Erven & Harremoes)', () => {
    fc.assert(
      fc.property(q, sigma, order, (q_, s, a) => {
        const lo = Math.floor(a);
        const hi = Math.ceil(a);
        const [rLo, r, rHi] = [
          poissonSampledGaussianRdp(q_, s, lo),
          poissonSampledGaussianRdp(q_, s, a),
          poissonSampledGaussianRdp(q_, s, hi),
        ];
        // The series itself, before the clamp to [rLo, rHi]: only rounding margins may separate it from the neighbours.
        const series = q_ < 1 ? fractionalSeriesRdp(q_, s, a) : r;
        expect(series).toBeGreaterThanOrEqual(rLo * (1 - 1e-11));
        expect(series).toBeLessThanOrEqual(rHi * (1 + 1e-9));
        expect(r).toBeGreaterThanOrEqual(rLo);
        expect(r).toBeLessThanOrEqual(rHi);
        const t = a - lo; // (a-1) D_a is convex in a
        expect((a - 1) * r).toBeLessThanOrEqual(((1 - t) * (lo - 1) * rLo + t * (hi - 1) * rHi) * (1 + 1e-9));
      }),
      { numRuns: 150 },
    );
  });
});

describe('large fractional orders with q -> 1 (issue 8.12: fast-check counterexample)', () => {
  const math = create(all!, { number: 'BigNumber', precision: 60 });
  type Big = BigNumber;
  const bn = (x: number | string): Big => math.bignumber(x) as Big;
  // Independent reference: A_a = int N(0,s^2)(z) (1 - q + q e^{(2z-1)/(2s^2)})^a dz (MTZ19 Sec. 3) by the trapezoid
  // rule on 60-digit mathjs BigNumbers, step sigma/4 over [-30 sigma, a + 30 sigma]; the integrand is analytic
  // and decays like a Gaussian at both ends, so the rule converges geometrically (Trefethen & Weideman 2014, Thm 5.1).
  function quadratureRdp(q: number, sigma: number, a: number): number {
    const Q = bn(q);
    const P = bn(1).minus(Q);
    const S = bn(sigma);
    const twoS2 = S.times(S).times(2);
    const A = bn(a);
    const h = S.div(4);
    const lo = S.times(-30);
    const n = Math.ceil((a + 60 * sigma) / (sigma / 4));
    const norm = h.div(S.times(math.sqrt(bn(2).times(math.pi as unknown as Big)) as Big));
    let sum = bn(0);
    for (let k = 0; k <= n; k++) {
      const z = lo.plus(h.times(k));
      const density = z.times(z).div(twoS2).neg().exp();
      const mix = P.plus(Q.times(z.times(2).minus(1).div(twoS2).exp()));
      sum = sum.plus(density.times(mix.pow(A)));
    }
    return sum.times(norm).ln().div(A.minus(1)).toNumber();
  }
  const q = 1 - 1e-16;
  const sigma = 79.00000000000007;

  it('the quadrature reference matches the exact binomial sum at the integer order 790', () => {
    const Q = bn(q);
    const P = bn(1).minus(Q);
    const twoS2 = bn(sigma).times(bn(sigma)).times(2);
    let sum = bn(0);
    for (let k = 0; k <= 790; k++)
      sum = sum.plus(
        (math.combinations(bn(790), bn(k)) as Big)
          .times(P.pow(790 - k))
          .times(Q.pow(k))
          .times(
            bn(k * k - k)
              .div(twoS2)
              .exp(),
          ),
      );
    const exact = sum.ln().div(789).toNumber();
    expect(Math.abs(quadratureRdp(q, sigma, 790) / exact - 1)).toBeLessThan(1e-13);
  });

  it.each([790.0000000000001, 789.5, 790.5, 1000.5])(
    'order %f: within 1e-11 of the 60-digit reference, never below it',
    (order) => {
      const truth = quadratureRdp(q, sigma, order);
      const ours = poissonSampledGaussianRdp(q, sigma, order);
      expect(Math.abs(ours / truth - 1)).toBeLessThan(1e-11);
      expect(ours).toBeGreaterThanOrEqual(truth);
    },
  );

  it('pinned: rdp(790.0000000000001) >= rdp(790) at q = 1 - 1e-16, sigma = 79.00000000000007', () => {
    expect(poissonSampledGaussianRdp(q, sigma, 790.0000000000001)).toBeGreaterThanOrEqual(
      poissonSampledGaussianRdp(q, sigma, 790),
    );
  });
});
