/**
 * The exact discrete Gaussian sampler of Canonne, Kamath & Steinke 2020 ("The discrete Gaussian for differential
 * privacy", Algorithms 1-3): only integer arithmetic and uniform integers, so no floating-point effects
 * (cf. Mironov 2012). Samples N_Z(0, S) for an integer variance parameter S, i.e. P[Y = y] ~ exp(-y^2 / (2 S)).
 */
import { uniformInt, type RandomSource } from './random-source.js';
import { fail } from './fail.js';

const TWO32 = 4294967296n;

/** A uniform bigint in [0, n), by rejection on whole 32-bit words. */
function uniformBig(src: RandomSource, n: bigint): bigint {
  if (n <= TWO32) return BigInt(uniformInt(src, Number(n)));
  const bits = n.toString(2).length;
  const words = Math.ceil(bits / 32);
  const mask = (1n << BigInt(bits)) - 1n;
  for (;;) {
    let v = 0n;
    for (let i = 0; i < words; i++) v = (v << 32n) | BigInt(src.nextUint32());
    v &= mask;
    if (v < n) return v;
  }
}

/** Bernoulli(num / den), 0 <= num <= den. */
function bernoulli(src: RandomSource, num: bigint, den: bigint): boolean {
  return uniformBig(src, den) < num;
}

/**
 * Bernoulli(exp(-num/den)) exactly (CKS 2020, Algorithm 1).
 * @example bernoulliExpNeg(src, 1n, 1n) // true with probability 1/e
 */
export function bernoulliExpNeg(src: RandomSource, num: bigint, den: bigint): boolean {
  if (num > den) {
    // exp(-g) = exp(-1)^floor(g) * exp(-(g - floor g)): each factor an independent trial
    for (let i = num / den; i > 0n; i--) if (!bernoulliExpNeg(src, 1n, 1n)) return false;
    return bernoulliExpNeg(src, num % den, den);
  }
  // g in [0, 1]: K = first k with Bernoulli(g / k) = 0; P[K odd] = exp(-g)
  let k = 1n;
  while (bernoulli(src, num, den * k)) k++;
  return k % 2n === 1n;
}

/** Discrete Laplace with scale t (P[Y = y] ~ exp(-|y| / t)), CKS 2020 Algorithm 2 with s = 1. */
function discreteLaplace(src: RandomSource, t: bigint): bigint {
  for (;;) {
    const u = uniformBig(src, t);
    if (!bernoulliExpNeg(src, u, t)) continue;
    let v = 0n;
    while (bernoulliExpNeg(src, 1n, 1n)) v++;
    const y = u + t * v;
    const negative = bernoulli(src, 1n, 2n);
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

/**
 * floor(sqrt(n)) for a bigint n >= 0 (float estimate, then exact integer correction).
 * @example isqrt(99n) // 9n
 */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/**
 * An exact sampler of N_Z(0, S) for integer S >= 1 (CKS 2020, Algorithm 3: discrete Laplace proposal with
 * t = floor(sqrt S) + 1, accepted with probability exp(-(|Y| - S/t)^2 / (2 S))).
 * @example const draw = discreteGaussianSampler(src, 100); draw() // an integer, sd ~10
 */
export function discreteGaussianSampler(src: RandomSource, variance: number): () => number {
  if (!(Number.isSafeInteger(variance) && variance >= 1))
    fail('invalid_argument', `discrete Gaussian variance must be a safe integer >= 1, got ${variance}`);
  const s = BigInt(variance);
  const t = isqrt(s) + 1n;
  const den = 2n * s * t * t; // (|Y| - S/t)^2 / (2S) = (|Y| t - S)^2 / (2 S t^2)
  return () => {
    for (;;) {
      const y = discreteLaplace(src, t);
      const a = (y < 0n ? -y : y) * t - s;
      if (bernoulliExpNeg(src, a * a, den)) return Number(y);
    }
  };
}
