/**
 * The ChaCha20 block function (Bernstein 2008; RFC 8439 section 2.3) in plain TypeScript: the seeded run's stream on
 * every platform (Node, browsers, and the noise worker, which imports this same module).
 *
 * State words 12-15 are laid out as in the original ChaCha and in OpenSSL's `chacha20` cipher: a 64-bit block
 * counter (words 12 and 13, low word first) and a 64-bit nonce (words 14 and 15). For counters below 2^32 this is
 * exactly RFC 8439 with the 96-bit nonce (word 13, word 14, word 15) = (0, nonce0, nonce1); OpenSSL carries a
 * counter overflow from word 12 into word 13 the same way, so a stream never repeats a block.
 */

// "expand 32-byte k" as four little-endian words (RFC 8439 section 2.3)
const SIGMA0 = 0x61707865,
  SIGMA1 = 0x3320646e,
  SIGMA2 = 0x79622d32,
  SIGMA3 = 0x6b206574;

/**
 * The 32-byte key as eight little-endian words (RFC 8439 section 2.3: the key is read as little-endian integers).
 * @example keyWords(new Uint8Array(32)).length // 8
 */
export function keyWords(key: Uint8Array): Uint32Array {
  const w = new Uint32Array(8);
  for (let i = 0; i < 8; i++)
    w[i] = (key[4 * i]! | (key[4 * i + 1]! << 8) | (key[4 * i + 2]! << 16) | (key[4 * i + 3]! << 24)) >>> 0;
  return w;
}

/**
 * Writes `blocks` consecutive ChaCha20 keystream blocks (16 words each, the serialized state read as little-endian
 * words) into `out` from index `at`, starting at state words 12-15 = (`counterLo`, `counterHi`, `nonce0`, `nonce1`);
 * each next block adds one to the 64-bit counter (`counterLo` carries into `counterHi`).
 * @example
 * // block 0, stream 0
 * const block = chacha20Blocks(keyWords(new Uint8Array(32)), 0, 0, 0, 0, new Uint32Array(16), 0, 1);
 */
export function chacha20Blocks(
  key: Uint32Array,
  counterLo: number,
  counterHi: number,
  nonce0: number,
  nonce1: number,
  out: Uint32Array,
  at: number,
  blocks: number,
): Uint32Array {
  const k0 = key[0]! | 0,
    k1 = key[1]! | 0,
    k2 = key[2]! | 0,
    k3 = key[3]! | 0,
    k4 = key[4]! | 0,
    k5 = key[5]! | 0,
    k6 = key[6]! | 0,
    k7 = key[7]! | 0;
  const n0 = nonce0 | 0,
    n1 = nonce1 | 0;
  let c0 = counterLo | 0,
    c1 = counterHi | 0;
  for (let b = 0; b < blocks; b++, c0 = (c0 + 1) | 0, c1 = c0 === 0 ? (c1 + 1) | 0 : c1) {
    let x0 = SIGMA0,
      x1 = SIGMA1,
      x2 = SIGMA2,
      x3 = SIGMA3,
      x4 = k0,
      x5 = k1,
      x6 = k2,
      x7 = k3;
    let x8 = k4,
      x9 = k5,
      x10 = k6,
      x11 = k7,
      x12 = c0,
      x13 = c1,
      x14 = n0,
      x15 = n1;
    for (let r = 0; r < 10; r++) {
      // a double round: four column quarter rounds, then four diagonal ones (RFC 8439 sections 2.1 and 2.3)
      x0 = (x0 + x4) | 0;
      x12 ^= x0;
      x12 = (x12 << 16) | (x12 >>> 16);
      x8 = (x8 + x12) | 0;
      x4 ^= x8;
      x4 = (x4 << 12) | (x4 >>> 20);
      x0 = (x0 + x4) | 0;
      x12 ^= x0;
      x12 = (x12 << 8) | (x12 >>> 24);
      x8 = (x8 + x12) | 0;
      x4 ^= x8;
      x4 = (x4 << 7) | (x4 >>> 25);
      x1 = (x1 + x5) | 0;
      x13 ^= x1;
      x13 = (x13 << 16) | (x13 >>> 16);
      x9 = (x9 + x13) | 0;
      x5 ^= x9;
      x5 = (x5 << 12) | (x5 >>> 20);
      x1 = (x1 + x5) | 0;
      x13 ^= x1;
      x13 = (x13 << 8) | (x13 >>> 24);
      x9 = (x9 + x13) | 0;
      x5 ^= x9;
      x5 = (x5 << 7) | (x5 >>> 25);
      x2 = (x2 + x6) | 0;
      x14 ^= x2;
      x14 = (x14 << 16) | (x14 >>> 16);
      x10 = (x10 + x14) | 0;
      x6 ^= x10;
      x6 = (x6 << 12) | (x6 >>> 20);
      x2 = (x2 + x6) | 0;
      x14 ^= x2;
      x14 = (x14 << 8) | (x14 >>> 24);
      x10 = (x10 + x14) | 0;
      x6 ^= x10;
      x6 = (x6 << 7) | (x6 >>> 25);
      x3 = (x3 + x7) | 0;
      x15 ^= x3;
      x15 = (x15 << 16) | (x15 >>> 16);
      x11 = (x11 + x15) | 0;
      x7 ^= x11;
      x7 = (x7 << 12) | (x7 >>> 20);
      x3 = (x3 + x7) | 0;
      x15 ^= x3;
      x15 = (x15 << 8) | (x15 >>> 24);
      x11 = (x11 + x15) | 0;
      x7 ^= x11;
      x7 = (x7 << 7) | (x7 >>> 25);
      x0 = (x0 + x5) | 0;
      x15 ^= x0;
      x15 = (x15 << 16) | (x15 >>> 16);
      x10 = (x10 + x15) | 0;
      x5 ^= x10;
      x5 = (x5 << 12) | (x5 >>> 20);
      x0 = (x0 + x5) | 0;
      x15 ^= x0;
      x15 = (x15 << 8) | (x15 >>> 24);
      x10 = (x10 + x15) | 0;
      x5 ^= x10;
      x5 = (x5 << 7) | (x5 >>> 25);
      x1 = (x1 + x6) | 0;
      x12 ^= x1;
      x12 = (x12 << 16) | (x12 >>> 16);
      x11 = (x11 + x12) | 0;
      x6 ^= x11;
      x6 = (x6 << 12) | (x6 >>> 20);
      x1 = (x1 + x6) | 0;
      x12 ^= x1;
      x12 = (x12 << 8) | (x12 >>> 24);
      x11 = (x11 + x12) | 0;
      x6 ^= x11;
      x6 = (x6 << 7) | (x6 >>> 25);
      x2 = (x2 + x7) | 0;
      x13 ^= x2;
      x13 = (x13 << 16) | (x13 >>> 16);
      x8 = (x8 + x13) | 0;
      x7 ^= x8;
      x7 = (x7 << 12) | (x7 >>> 20);
      x2 = (x2 + x7) | 0;
      x13 ^= x2;
      x13 = (x13 << 8) | (x13 >>> 24);
      x8 = (x8 + x13) | 0;
      x7 ^= x8;
      x7 = (x7 << 7) | (x7 >>> 25);
      x3 = (x3 + x4) | 0;
      x14 ^= x3;
      x14 = (x14 << 16) | (x14 >>> 16);
      x9 = (x9 + x14) | 0;
      x4 ^= x9;
      x4 = (x4 << 12) | (x4 >>> 20);
      x3 = (x3 + x4) | 0;
      x14 ^= x3;
      x14 = (x14 << 8) | (x14 >>> 24);
      x9 = (x9 + x14) | 0;
      x4 ^= x9;
      x4 = (x4 << 7) | (x4 >>> 25);
    }
    // the block is the permuted state plus the input state, word by word (RFC 8439 section 2.3)
    const o = at + 16 * b;
    out[o] = x0 + SIGMA0;
    out[o + 1] = x1 + SIGMA1;
    out[o + 2] = x2 + SIGMA2;
    out[o + 3] = x3 + SIGMA3;
    out[o + 4] = x4 + k0;
    out[o + 5] = x5 + k1;
    out[o + 6] = x6 + k2;
    out[o + 7] = x7 + k3;
    out[o + 8] = x8 + k4;
    out[o + 9] = x9 + k5;
    out[o + 10] = x10 + k6;
    out[o + 11] = x11 + k7;
    out[o + 12] = x12 + c0;
    out[o + 13] = x13 + c1;
    out[o + 14] = x14 + n0;
    out[o + 15] = x15 + n1;
  }
  return out;
}
