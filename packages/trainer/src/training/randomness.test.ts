import { describe, expect, it } from 'vitest';
import { bernoulliExpNeg, discreteGaussianSampler, isqrt } from './discrete-gaussian.js';
import { fillGaussian } from './gaussian-noise.js';
import { PoissonSampler, ShuffleSampler } from './batch-sampler.js';
import { SecureRandomSource, SeededRandomSource, uniform53, uniformInt } from './random-source.js';

const meanVar = (xs: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m += xs[i]!;
  m /= xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - m) ** 2;
  return [m, v / (xs.length - 1)] as const;
};

describe('random sources', () => {
  it('seeded streams are reproducible and resume from a saved state', () => {
    const a = new SeededRandomSource(7);
    const first = Array.from({ length: 5 }, () => a.nextUint32());
    const b = new SeededRandomSource(7);
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(first);
    const resumed = new SeededRandomSource(a.state());
    expect(Array.from({ length: 5 }, () => resumed.nextUint32())).toEqual(Array.from({ length: 5 }, () => a.nextUint32()));
    expect(new SeededRandomSource(8).nextUint32()).not.toBe(first[0]);
  });

  it('uniforms cover [0, 1) and integers are unbiased (6-sigma bounds)', () => {
    const src = new SecureRandomSource();
    const u = Float64Array.from({ length: 20000 }, () => uniform53(src));
    const [m, v] = meanVar(u);
    expect(Math.abs(m - 0.5)).toBeLessThan(6 * Math.sqrt(1 / 12 / 20000));
    expect(Math.abs(v - 1 / 12)).toBeLessThan(0.004);
    const counts = new Array(3).fill(0);
    for (let i = 0; i < 30000; i++) counts[uniformInt(src, 3)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(6 * Math.sqrt(30000 * (1 / 3) * (2 / 3)));
    expect(src.state()).toBeNull();
  });

  it('Box-Muller noise has the asked spread', () => {
    const z = fillGaussian(new SeededRandomSource(3), new Float64Array(40001), 2.5);
    const [m, v] = meanVar(z);
    expect(Math.abs(m)).toBeLessThan(6 * 2.5 / Math.sqrt(40001));
    expect(Math.abs(Math.sqrt(v) / 2.5 - 1)).toBeLessThan(6 / Math.sqrt(2 * 40001));
  });
});

describe('batch samplers', () => {
  it('Poisson batch sizes have mean nq and variance nq(1-q); every example joins with probability q', () => {
    const n = 1000;
    const q = 0.05;
    const s = new PoissonSampler(new SeededRandomSource(11), n, q);
    const m = 2000;
    const sizes: number[] = [];
    const hits = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      const b = s.next();
      sizes.push(b.length);
      for (const j of b) hits[j]!++;
    }
    const [mean, variance] = meanVar(sizes);
    const trueVar = n * q * (1 - q);
    expect(Math.abs(mean - n * q)).toBeLessThan(6 * Math.sqrt(trueVar / m));
    expect(Math.abs(variance - trueVar)).toBeLessThan(6 * trueVar * Math.sqrt(2 / (m - 1)));
    expect(new Set(sizes).size).toBeGreaterThan(10); // sizes vary
    const [hitMean] = meanVar(hits);
    expect(Math.abs(hitMean / m - q)).toBeLessThan(0.002);
    expect(s.stepsPerEpoch).toBe(20);
  });

  it('Poisson batches are empty at rate (1-q)^n', () => {
    const s = new PoissonSampler(new SeededRandomSource(5), 100, 0.01);
    let empty = 0;
    const m = 3000;
    for (let i = 0; i < m; i++) if (s.next().length === 0) empty++;
    const p = 0.99 ** 100;
    expect(Math.abs(empty / m - p)).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / m));
  });

  it('shuffle batches are fixed-size and cover each example once per epoch, resumable', () => {
    const s = new ShuffleSampler(new SeededRandomSource(2), 10, 3);
    expect(s.stepsPerEpoch).toBe(3);
    const seen = [...s.next(), ...s.next(), ...s.next()];
    expect(new Set(seen).size).toBe(9);
    const saved = s.state();
    const twin = new ShuffleSampler(new SeededRandomSource(99), 10, 3, saved);
    expect(saved.cursor).toBe(9);
    expect(twin.state()).toEqual(saved);
  });
});

describe('discrete Gaussian (Canonne, Kamath, Steinke 2020)', () => {
  it('Bernoulli(exp(-g)) is exact in frequency for g <= 1 and g > 1', () => {
    const src = new SeededRandomSource(21);
    for (const [num, den] of [[1n, 1n], [1n, 3n], [5n, 2n]] as const) {
      const m = 20000;
      let k = 0;
      for (let i = 0; i < m; i++) if (bernoulliExpNeg(src, num, den)) k++;
      const p = Math.exp(-Number(num) / Number(den));
      expect(Math.abs(k / m - p)).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / m));
    }
    expect(isqrt(99n)).toBe(9n);
    expect(isqrt(100n)).toBe(10n);
    expect(isqrt(12345678987654321n * 12345678987654321n)).toBe(12345678987654321n);
  });

  it('matches the N_Z(0, S) probability mass and variance', () => {
    const S = 20;
    const draw = discreteGaussianSampler(new SeededRandomSource(4), S);
    const m = 30000;
    const xs = Array.from({ length: m }, draw);
    expect(xs.every(Number.isInteger)).toBe(true);
    let z = 0;
    let second = 0;
    for (let y = -200; y <= 200; y++) {
      z += Math.exp((-y * y) / (2 * S));
      second += y * y * Math.exp((-y * y) / (2 * S));
    }
    for (const y of [0, 3, -6]) {
      const p = Math.exp((-y * y) / (2 * S)) / z;
      const f = xs.filter((x) => x === y).length / m;
      expect(Math.abs(f - p)).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / m));
    }
    const [mean, variance] = meanVar(xs);
    const trueVar = second / z;
    expect(Math.abs(mean)).toBeLessThan(6 * Math.sqrt(trueVar / m));
    expect(Math.abs(variance / trueVar - 1)).toBeLessThan(6 * Math.sqrt(3 / m));
  });
});
