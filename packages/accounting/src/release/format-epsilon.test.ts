import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatEpsilon } from '../index.js';

describe('formatEpsilon', () => {
  it('rounds a spent epsilon up, never to nearest', () => {
    expect(formatEpsilon(2.99981, 3)).toBe('3.000');
    expect(formatEpsilon(0.7951, 3)).toBe('0.796');
    expect(formatEpsilon(2.99943, 4)).toBe('2.9995');
    expect(formatEpsilon(1.23451, { significant: 4 })).toBe('1.235');
    expect(formatEpsilon(0.000123449, { significant: 3 })).toBe('0.000124');
    expect(formatEpsilon(12345.1, { significant: 3 })).toBe('12400');
    expect(formatEpsilon(1.23456e-25, { significant: 3 })).toBe('1.24e-25');
    expect(formatEpsilon(9.999e30, { significant: 3 })).toBe('1.00e+31');
    expect(formatEpsilon(1.2341e-5, { significant: 3, exponential: true })).toBe('1.24e-5');
    expect(formatEpsilon(1e-5, { significant: 3, exponential: true })).toBe('1.00e-5');
  });

  it('keeps exact decimals as they are', () => {
    expect(formatEpsilon(0.3, 1)).toBe('0.3');
    expect(formatEpsilon(0.5, 3)).toBe('0.500');
    expect(formatEpsilon(3, 3)).toBe('3.000');
    expect(formatEpsilon(0, 3)).toBe('0.000');
    expect(formatEpsilon(1.1, { significant: 4 })).toBe('1.1');
  });

  it('rounds a remaining budget down', () => {
    expect(formatEpsilon(0.4999, { decimals: 2, direction: 'down' })).toBe('0.49');
    expect(formatEpsilon(2.0006, { significant: 4, direction: 'down' })).toBe('2');
  });

  it('prints infinity and NaN as such', () => {
    expect(formatEpsilon(Infinity, 3)).toBe('∞');
    expect(formatEpsilon(Number.NaN, 3)).toBe('NaN');
  });

  it('never prints a figure below the value (up) or above it (down)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e4, noNaN: true }), fc.integer({ min: 0, max: 6 }), (x, d) => {
        expect(Number(formatEpsilon(x, d))).toBeGreaterThanOrEqual(x);
        expect(Number(formatEpsilon(x, d)) - x).toBeLessThanOrEqual(1.000001 / 10 ** d);
        expect(Number(formatEpsilon(x, { decimals: d, direction: 'down' }))).toBeLessThanOrEqual(x);
        expect(Number(formatEpsilon(x, { significant: d + 1 }))).toBeGreaterThanOrEqual(x);
      }),
    );
  });
});
