/**
 * Random bits for sampling and noise. Two sources, one interface:
 * - `secure`: every bit from the platform CSPRNG (`globalThis.crypto.getRandomValues`: node:crypto's webcrypto in
 *   Node, window.crypto in a browser). Never Math.random, never tfjs's seeded generator. Not reproducible.
 *   The default.
 * - `seeded`: a ChaCha20 keystream (RFC 8439) keyed by a seed of at least 128 bits, chosen explicitly for
 *   reproducible experiments. Its epsilon holds only while the seed stays secret. A checkpoint keeps its position
 *   (words used), never the seed or the key.
 */

import { fail } from './fail.js';
import { Keystream, type KeystreamFactory, type KeystreamWords } from './keystream.js';
import { deriveSeedKey, parseSeed, type Seed } from './seed.js';

export type { Seed };

/** Where the trainer's random bits come from (recorded in the report as the noise RNG mode). */
export type NoiseRngMode = 'secure' | 'seeded';

/** What every epsilon of a seeded run is printed with: whoever knows the seed can remove the noise. */
export const SEEDED_RUN_CAVEAT = 'seeded run: holds only while the seed stays secret';

/** A stream of uniform 32-bit words. */
export interface RandomSource {
  readonly mode: NoiseRngMode;
  /** The next uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** Fills `out` with `out.length` fresh uniform words (seeded: exactly the next words `nextUint32` would give). */
  fillUint32(out: Uint32Array): Uint32Array;
  /** Words handed out so far (seeded: where a resumed run continues, given the seed); null for the secure source. */
  position(): number | null;
}

const BUFFER_WORDS = 16384; // getRandomValues accepts at most 65,536 bytes per call (WebCrypto spec)

/** Fills `out` from the platform CSPRNG in slices of at most 65,536 bytes, straight into the target. */
function cryptoFill(out: Uint32Array): void {
  for (let i = 0; i < out.length; i += BUFFER_WORDS)
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(out.length, i + BUFFER_WORDS)));
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

  /** Always null: a secure source has no position or state worth saving, and a checkpoint never holds one. */
  position(): null {
    return null;
  }
}

/** The independent streams of one seeded run: batch sampling (and every other draw of the trainer), and the noise. */
export type SeededStream = 'sampling' | 'noise';
/** ChaCha20 nonce of each stream: distinct nonces under one key give independent keystreams (RFC 8439 section 2.4). */
export const SEEDED_STREAM_NONCE: Readonly<Record<SeededStream, number>> = { sampling: 0, noise: 1 };

const SEEDED_BUFFER_WORDS = 1024;

/**
 * A reproducible stream for a seeded run: the ChaCha20 keystream (RFC 8439) under a key derived from a seed of at
 * least 128 bits (seed.ts), read as 32-bit words. Without the seed its words cannot be predicted, but whoever knows
 * the seed knows every word: the run's epsilon holds only while the seed stays secret. `position()` (words handed
 * out) is all a checkpoint keeps; resuming needs the seed again.
 * @example const r = new SeededRandomSource('000102030405060708090a0b0c0d0e0f'); r.nextUint32();
 */
export class SeededRandomSource implements RandomSource {
  readonly mode = 'seeded' as const;
  private readonly keystream: KeystreamWords;
  private readonly buf = new Uint32Array(SEEDED_BUFFER_WORDS);
  private bufPos = SEEDED_BUFFER_WORDS; // buf[bufPos] is word `pos` of the stream while bufPos < buf.length
  private pos: number;

  /**
   * @param seed at least 32 hex digits or 16 bytes (anything else is refused with `invalid_argument`)
   * @param opts `stream`: which of the run's streams (default 'sampling'); `position`: the first word to hand out
   *   (a saved `position()`); `keystream`: where the ChaCha20 words come from (default the plain TypeScript
   *   `Keystream`; the noise worker passes OpenSSL's, which gives the same words)
   */
  constructor(seed: Seed, opts: { stream?: SeededStream; position?: number; keystream?: KeystreamFactory } = {}) {
    const position = opts.position ?? 0;
    if (!(Number.isSafeInteger(position) && position >= 0))
      fail('invalid_argument', `a stream position must be an integer >= 0, got ${String(position)}`);
    const make = opts.keystream ?? ((key: Uint8Array, stream: number) => new Keystream(key, stream));
    this.keystream = make(deriveSeedKey(parseSeed(seed)), SEEDED_STREAM_NONCE[opts.stream ?? 'sampling']);
    this.pos = position;
  }

  nextUint32(): number {
    if (this.bufPos === SEEDED_BUFFER_WORDS) {
      this.keystream.words(this.pos, this.buf);
      this.bufPos = 0;
    }
    this.pos++;
    return this.buf[this.bufPos++]!;
  }

  /** The next `out.length` words of the stream (exactly those `nextUint32` would give). */
  fillUint32(out: Uint32Array): Uint32Array {
    const buffered = Math.min(SEEDED_BUFFER_WORDS - this.bufPos, out.length);
    out.set(this.buf.subarray(this.bufPos, this.bufPos + buffered));
    this.bufPos += buffered;
    this.pos += buffered;
    const rest = out.length - buffered;
    if (rest >= SEEDED_BUFFER_WORDS) {
      this.keystream.words(this.pos, out.subarray(buffered));
      this.pos += rest;
    } else if (rest > 0) {
      this.keystream.words(this.pos, this.buf);
      out.set(this.buf.subarray(0, rest), buffered);
      this.bufPos = rest;
      this.pos += rest;
    }
    return out;
  }

  /** Words handed out so far from the start of the stream: with the seed, where a resumed run continues. */
  position(): number {
    return this.pos;
  }
}

/**
 * A uniform double in [0, 1) with all 53 mantissa bits random (27 + 26 bits from two words).
 * @example uniform53(new SecureRandomSource()) // in [0, 1)
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
 * The trainer's source: the platform CSPRNG, or with a seed the seeded run's sampling stream.
 * @example makeRandomSource().mode // 'secure'
 */
export function makeRandomSource(seed?: Seed, position = 0): RandomSource {
  return seed === undefined ? new SecureRandomSource() : new SeededRandomSource(seed, { stream: 'sampling', position });
}
