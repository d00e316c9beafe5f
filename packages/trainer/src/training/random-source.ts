/**
 * Random bits for sampling and noise. Two sources, one interface:
 * - `secure`: every bit from the platform CSPRNG (`globalThis.crypto.getRandomValues`: node:crypto's webcrypto in
 *   Node, window.crypto in a browser). Never Math.random, never tfjs's seeded generator. Not reproducible.
 * - `seeded`: xoshiro128** (Blackman & Vigna 2018, "Scrambled linear pseudorandom number generators"), for
 *   reproducible non-private experiments; its state is checkpointed so a resumed run continues the same stream.
 */

import { fail } from './fail.js';

/** Where the trainer's random bits come from (recorded in the report as the noise RNG mode). */
export type NoiseRngMode = 'secure' | 'seeded';

/** A stream of uniform 32-bit words. */
export interface RandomSource {
  readonly mode: NoiseRngMode;
  /** The next uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** Fills `out` with `out.length` fresh uniform words (seeded: exactly the next words `nextUint32` would give). */
  fillUint32(out: Uint32Array): Uint32Array;
  /** The generator state, to checkpoint (null for the secure source, which has none to save). */
  state(): number[] | null;
}

const BUFFER_WORDS = 16384; // getRandomValues accepts at most 65,536 bytes per call (WebCrypto spec)

/** Fills `out` from the platform CSPRNG in slices of at most 65,536 bytes, straight into the target. */
function cryptoFill(out: Uint32Array): void {
  for (let i = 0; i < out.length; i += BUFFER_WORDS) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(out.length, i + BUFFER_WORDS)));
}

/**
 * A source drawing from the platform CSPRNG in 64 KiB blocks.
 * @example const r = new SecureRandomSource(); r.nextUint32();
 */
export class SecureRandomSource implements RandomSource {
  readonly mode = 'secure' as const;
  private readonly buf = new Uint32Array(BUFFER_WORDS);
  private pos = BUFFER_WORDS;

  nextUint32(): number {
    if (this.pos === BUFFER_WORDS) {
      cryptoFill(this.buf);
      this.pos = 0;
    }
    return this.buf[this.pos++]!;
  }

  /** Fresh CSPRNG words straight into `out` (the buffered words of `nextUint32` stay for it). */
  fillUint32(out: Uint32Array): Uint32Array {
    cryptoFill(out);
    return out;
  }

  state(): null {
    return null;
  }
}

/** MurmurHash3 fmix32 finaliser (Appleby 2011), used only to spread a small seed over 128 bits of state. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * xoshiro128** seeded from an integer, or restored from a saved `state()`.
 * @example const r = new SeededRandomSource(42); const again = new SeededRandomSource(r.state());
 */
export class SeededRandomSource implements RandomSource {
  readonly mode = 'seeded' as const;
  private s: Uint32Array;
  private readonly one = new Uint32Array(1);

  constructor(seedOrState: number | readonly number[]) {
    if (typeof seedOrState === 'number') {
      this.s = new Uint32Array(4);
      for (let i = 0; i < 4; i++) this.s[i] = fmix32((seedOrState >>> 0) + Math.imul(i + 1, 0x9e3779b9));
    } else {
      if (seedOrState.length !== 4) fail('invalid_argument', 'a xoshiro128** state has 4 words');
      this.s = Uint32Array.from(seedOrState);
    }
    if (this.s.every((w) => w === 0)) this.s[0] = 1; // the all-zero state is a fixed point
  }

  nextUint32(): number {
    return this.fillUint32(this.one)[0]!;
  }

  /** The next `out.length` words of the stream; the state advances exactly as many steps. */
  fillUint32(out: Uint32Array): Uint32Array {
    // short blocks: a call that runs long only in this outer loop keeps the hot inner loop out of on-stack replacement
    for (let from = 0; from < out.length; from += XOSHIRO_BLOCK) xoshiroBlock(this.s, out, from, Math.min(out.length, from + XOSHIRO_BLOCK));
    return out;
  }

  state(): number[] {
    return Array.from(this.s);
  }
}

const XOSHIRO_BLOCK = 1024;

/** Writes words `from` to `to` of `out` from the xoshiro128** state `s`, and saves the advanced state back in `s`. */
function xoshiroBlock(s: Uint32Array, out: Uint32Array, from: number, to: number): void {
  let s0 = s[0]! | 0, s1 = s[1]! | 0, s2 = s[2]! | 0, s3 = s[3]! | 0; // int32 locals: one numeric type in the loop
  for (let i = from; i < to; i++) {
    // xoshiro128** step (Blackman & Vigna 2018): result = rotl(s1 * 5, 7) * 9, then the xor-shift state update
    const m = Math.imul(s1, 5);
    out[i] = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
  }
  s[0] = s0; s[1] = s1; s[2] = s2; s[3] = s3;
}

/**
 * A uniform double in [0, 1) with all 53 mantissa bits random (27 + 26 bits from two words).
 * @example uniform53(new SeededRandomSource(1)) // 0.37...
 */
export function uniform53(src: RandomSource): number {
  const hi = src.nextUint32() >>> 5;
  const lo = src.nextUint32() >>> 6;
  return (hi * 67108864 + lo) / 9007199254740992;
}

/**
 * A uniform integer in [0, n) for 1 <= n <= 2^32, unbiased by rejection (Lemire 2019 threshold).
 * @example uniformInt(src, 10) // 0..9
 */
export function uniformInt(src: RandomSource, n: number): number {
  if (!(Number.isInteger(n) && n >= 1 && n <= 4294967296)) fail('invalid_argument', `uniformInt: bad range ${n}`);
  const limit = 4294967296 - (4294967296 % n); // accept words below the largest multiple of n
  for (;;) {
    const w = src.nextUint32();
    if (w < limit) return w % n;
  }
}

/**
 * A source of the given mode: secure ignores the seed; seeded needs one (or a saved state).
 * @example const r = makeRandomSource({ secure: false, seed: 7 });
 */
export function makeRandomSource(opts: { secure: boolean; seed?: number; state?: readonly number[] | null }): RandomSource {
  if (opts.secure) return new SecureRandomSource();
  if (opts.state) return new SeededRandomSource(opts.state);
  return new SeededRandomSource(opts.seed ?? secureSeed());
}

/** A fresh 32-bit seed from the CSPRNG (used when a seeded run names no seed). */
function secureSeed(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0]!;
}
