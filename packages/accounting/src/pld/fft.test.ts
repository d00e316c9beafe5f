import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cyclicConvolve, cyclicPower, fft, nextPow2 } from './fft.js';

function directCyclic(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) out[(i + j) % n]! += a[i]! * b[j]!;
  return out;
}

const probs = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 }).map((a) => Float64Array.from(a));

describe('radix-2 FFT', () => {
  it('transforms an impulse to a pure phase and back', () => {
    const n = 16;
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    re[3] = 1;
    fft(re, im, false);
    for (let k = 0; k < n; k++) {
      expect(re[k]).toBeCloseTo(Math.cos((-2 * Math.PI * 3 * k) / n), 14);
      expect(im[k]).toBeCloseTo(Math.sin((-2 * Math.PI * 3 * k) / n), 14);
    }
    fft(re, im, true);
    for (let k = 0; k < n; k++) expect(re[k]).toBeCloseTo(k === 3 ? 1 : 0, 14);
  });

  it('refuses lengths that are not powers of two', () => {
    expect(() => fft(new Float64Array(6), new Float64Array(6), false)).toThrow(RangeError);
    expect(nextPow2(1)).toBe(1);
    expect(nextPow2(1025)).toBe(2048);
  });

  it('cyclicConvolve equals the direct cyclic convolution, including wrap-around', () => {
    fc.assert(
      fc.property(probs, probs, fc.integer({ min: 1, max: 6 }), (a, b, log2n) => {
        const n = 1 << log2n;
        const got = cyclicConvolve(a, b, n);
        const want = directCyclic(a, b, n);
        for (let i = 0; i < n; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-12 * (1 + Math.abs(want[i]!)) * 40);
      }),
      { numRuns: 50 },
    );
  });

  it('cyclicPower equals repeated convolution', () => {
    fc.assert(
      fc.property(probs, fc.integer({ min: 0, max: 7 }), (a, k) => {
        const n = Math.max(2, nextPow2(a.length * Math.max(k, 1)));
        let want = new Float64Array(n);
        want[0] = 1;
        for (let i = 0; i < k; i++) want = directCyclic(want, a, n);
        const got = cyclicPower(a, k, n);
        const scale = Math.max(1, ...want);
        for (let i = 0; i < n; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-11 * scale);
      }),
      { numRuns: 50 },
    );
  });
});
