/**
 * The seed of a seeded (reproducible) run: at least 128 bits, given as hex digits or bytes, and the ChaCha20 key
 * derived from it. A seeded run is only as private as its seed is secret: anyone who knows the seed can recompute
 * every noise sample and cancel it.
 */
import { fail } from './fail.js';
import { sha256 } from './sha256.js';

/** A seed as a user gives it: at least 32 hex digits, or at least 16 bytes. */
export type Seed = string | Uint8Array;

/** The fewest seed bytes accepted: 128 bits, so the seed cannot be found by trying them all. */
export const MIN_SEED_BYTES = 16;

const DOMAIN = new TextEncoder().encode('dpledger seeded run v1\0'); // separates this use of the seed from any other

/**
 * Checks a seed and returns its bytes (a copy); anything else (a number, fewer than 128 bits, non-hex text) is
 * refused with `invalid_argument`.
 * @example parseSeed('000102030405060708090a0b0c0d0e0f').length // 16
 */
export function parseSeed(seed: unknown): Uint8Array {
  if (seed instanceof Uint8Array) {
    if (seed.length < MIN_SEED_BYTES)
      fail('invalid_argument', `a seed needs at least ${MIN_SEED_BYTES} bytes (128 bits), got ${seed.length}`);
    return Uint8Array.from(seed);
  }
  if (typeof seed === 'string') {
    if (!/^[0-9a-fA-F]*$/.test(seed) || seed.length % 2 !== 0)
      fail('invalid_argument', 'a seed string must be an even number of hex digits');
    if (seed.length < 2 * MIN_SEED_BYTES)
      fail('invalid_argument', `a seed needs at least ${2 * MIN_SEED_BYTES} hex digits (128 bits), got ${seed.length}`);
    return Uint8Array.from({ length: seed.length / 2 }, (_, i) => parseInt(seed.slice(2 * i, 2 * i + 2), 16));
  }
  return fail(
    'invalid_argument',
    `a seed must be a string of at least ${2 * MIN_SEED_BYTES} hex digits ` +
      `or a Uint8Array of at least ${MIN_SEED_BYTES} bytes, got ${typeof seed}`,
  );
}

/**
 * The 256-bit ChaCha20 key of a seeded run: SHA-256 (FIPS 180-4) of a domain label followed by the seed bytes.
 * @example deriveSeedKey(parseSeed('000102030405060708090a0b0c0d0e0f')).length // 32
 */
export function deriveSeedKey(seedBytes: Uint8Array): Uint8Array {
  const input = new Uint8Array(DOMAIN.length + seedBytes.length);
  input.set(DOMAIN);
  input.set(seedBytes, DOMAIN.length);
  return sha256(input);
}
