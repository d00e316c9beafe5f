import { describe, expect, it } from 'vitest';
import { gaussLegendre, integrate, integrateLog } from './gauss-legendre.js';

describe('gauss-legendre', () => {
  it('the 20-point rule is exact for polynomials of degree 39 and its weights sum to 2', () => {
    const { x, w } = gaussLegendre(20);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(2, 14);
    let s = 0;
    for (let k = 0; k < 20; k++) s += w[k]! * x[k]! ** 38;
    expect(s).toBeCloseTo(2 / 39, 14);
  });
  it('integrates a Gaussian to the normal CDF value', () => {
    const f = (z: number) => Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
    expect(integrate(f, -40, 40, 160)).toBeCloseTo(1, 14);
    expect(integrate(f, 0, 1, 2)).toBeCloseTo(0.3413447460685429, 14);
  });
});

describe('integrateLog', () => {
  it('integrates in log space without overflow', () => {
    // int_0^1 e^{1000 x} dx = (e^1000 - 1) / 1000, whose log is ~ 1000 - log(1000)
    expect(integrateLog((x) => 1000 * x, 0, 1, 50)).toBeCloseTo(1000 - Math.log(1000), 10);
  });
});
