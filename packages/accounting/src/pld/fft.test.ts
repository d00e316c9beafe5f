import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fft, nextFftSize, nextPow2 } from './fft.js';
import { cyclicConvolve, cyclicPower } from './real-convolution.js';

function directCyclic(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) out[(i + j) % n]! += a[i]! * b[j]!;
  return out;
}

const probs = fc
  .array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 })
  .map((a) => Float64Array.from(a));

describe('FFT and real cyclic convolution', () => {
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

  it('accepts 2^a and 3 * 2^a lengths only, and sizes transforms within 4/3 of the need', () => {
    expect(() => fft(new Float64Array(10), new Float64Array(10), false)).toThrow(RangeError);
    expect(nextPow2(1)).toBe(1);
    expect(nextPow2(1025)).toBe(2048);
    expect([1, 3, 5, 7, 9, 13, 1025, 1537, 5000].map(nextFftSize)).toEqual([2, 4, 6, 8, 12, 16, 1536, 2048, 6144]);
  });

  it('a length-3*2^a transform matches the defining sum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 192, maxLength: 192 }),
        (a, xs) => {
          const n = 3 << a;
          const re = Float64Array.from(xs.slice(0, n));
          const im = Float64Array.from(xs.slice(96, 96 + n));
          const [r0, i0] = [re.slice(), im.slice()];
          fft(re, im, false);
          for (let k = 0; k < n; k++) {
            let sr = 0;
            let si = 0;
            for (let j = 0; j < n; j++) {
              const ang = (-2 * Math.PI * j * k) / n;
              sr += r0[j]! * Math.cos(ang) - i0[j]! * Math.sin(ang);
              si += r0[j]! * Math.sin(ang) + i0[j]! * Math.cos(ang);
            }
            expect(Math.abs(re[k]! - sr)).toBeLessThan(1e-12 * n);
            expect(Math.abs(im[k]! - si)).toBeLessThan(1e-12 * n);
          }
          fft(re, im, true);
          for (let j = 0; j < n; j++) expect(Math.abs(re[j]! - r0[j]!)).toBeLessThan(1e-13 * n);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('cyclicConvolve equals the direct cyclic convolution, including wrap-around', () => {
    fc.assert(
      fc.property(probs, probs, fc.integer({ min: 1, max: 70 }), (a, b, need) => {
        const n = nextFftSize(need);
        const got = cyclicConvolve(a, b, n);
        const want = directCyclic(a, b, n);
        for (let i = 0; i < n; i++)
          expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-12 * (1 + Math.abs(want[i]!)) * 40);
      }),
      { numRuns: 50 },
    );
  });

  it('cyclicPower equals repeated convolution', () => {
    fc.assert(
      fc.property(probs, fc.integer({ min: 0, max: 7 }), (a, k) => {
        const n = nextFftSize(a.length * Math.max(k, 1));
        let want: Float64Array = new Float64Array(n);
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
