import fc from 'fast-check';
import { describe, expect, inject, it } from 'vitest';
import { DEFAULT_FC_SEED, resolveFcSeed, seedBanner } from './setup/fast-check-seed.js';

describe('fast-check runs under one fixed seed per run (issue 8.12)', () => {
  it('every property in this file inherits the run seed from the global configuration', () => {
    const seed = inject('fcSeed');
    expect(Number.isSafeInteger(seed)).toBe(true);
    expect(fc.readConfigureGlobal().seed).toBe(seed);
    if (process.env.FC_SEED === undefined || process.env.FC_SEED === '') expect(seed).toBe(DEFAULT_FC_SEED);
  });

  it('the same seed draws the same cases, so a property run is reproducible', () => {
    const draw = () => fc.sample(fc.double({ noNaN: true }), { numRuns: 5, seed: inject('fcSeed') });
    expect(draw()).toEqual(draw());
    const seen: number[][] = [[], []];
    for (const run of seen)
      fc.assert(
        fc.property(fc.integer(), (x) => void run.push(x)),
        { numRuns: 10 },
      );
    expect(seen[0]).toEqual(seen[1]);
  });

  it('FC_SEED: unset or empty is the default, "random" draws one, an integer is itself, else refused', () => {
    expect(resolveFcSeed(undefined)).toBe(424242);
    expect(resolveFcSeed('')).toBe(424242);
    expect(resolveFcSeed('random', () => 99)).toBe(99);
    expect(resolveFcSeed('RANDOM', () => 5)).toBe(5);
    expect(resolveFcSeed(' 1234 ')).toBe(1234);
    expect(resolveFcSeed('-7')).toBe(-7);
    for (const bad of ['0x10', '1.5', 'abc', '1e3', '99999999999999999999'])
      expect(() => resolveFcSeed(bad)).toThrow(/FC_SEED/);
    expect(seedBanner(424242)).toBe('fast-check seed 424242 (set FC_SEED=random or a number to change)');
  });
});
