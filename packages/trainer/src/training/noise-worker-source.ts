/**
 * The body of the noise prefetch worker, as plain JavaScript run by `new Worker(code, { eval: true })`, so the same
 * worker runs from dist/ under Node and from src/ under vitest (a worker cannot load a .ts file).
 *
 * It is a word-for-word port of `fillGaussian` (gaussian-noise.ts, Ziggurat of Marsaglia & Tsang 2000, same bit
 * layout, chunking and order of operations). In seeded mode it draws the run's ChaCha20 noise stream (RFC 8439) with a
 * copy of chacha20.ts's block function (types removed) read exactly as keystream.ts reads it (word w = word w mod 16
 * of block floor(w / 16), the stream id as nonce word 14); in secure mode it draws from node:crypto's webcrypto
 * getRandomValues.
 * noise-prefetch.test.ts checks that a seeded worker fill equals `fillGaussian` on the same stream position bit for
 * bit, so the inline fallback continues the same stream.
 *
 * Protocol: workerData = { x, f, xs, r, std, key, stream, position } (Ziggurat table, x[i] * 2^-53, tail start,
 * sample std; seeded: the 32-byte ChaCha20 key, stream id and first word; secure: key null);
 * each message { n } is answered by { buf, position }: a fresh Float32Array of n N(0, std^2) samples (its buffer
 * transferred, never kept) and the stream position after it (null in secure mode).
 */
export const NOISE_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { webcrypto } = require('node:crypto');
const X = workerData.x, F = workerData.f, XS = workerData.xs, R = workerData.r, STD = workerData.std;
const STREAM = workerData.stream;
let pos = workerData.position;
const TWO_POW_32 = 4294967296, TWO_POW_53 = 9007199254740992, CHUNK_WORDS = 16384, SLOW_WORDS = 128;
const SIGMA0 = 0x61707865, SIGMA1 = 0x3320646e, SIGMA2 = 0x79622d32, SIGMA3 = 0x6b206574; // "expand 32-byte k" (RFC 8439 2.3)
const KEY = workerData.key ? Uint32Array.from({ length: 8 }, (_, i) => workerData.key[4 * i] | (workerData.key[4 * i + 1] << 8) | (workerData.key[4 * i + 2] << 16) | (workerData.key[4 * i + 3] << 24)) : null;
const BLOCK = new Uint32Array(16);

function chacha20Blocks(key, counterLo, counterHi, nonce0, nonce1, out, at, blocks) { // chacha20.ts, types removed
  const k0 = key[0] | 0, k1 = key[1] | 0, k2 = key[2] | 0, k3 = key[3] | 0, k4 = key[4] | 0, k5 = key[5] | 0, k6 = key[6] | 0, k7 = key[7] | 0;
  const n0 = nonce0 | 0, n1 = nonce1 | 0;
  let c0 = counterLo | 0, c1 = counterHi | 0;
  for (let b = 0; b < blocks; b++, c0 = (c0 + 1) | 0, c1 = c0 === 0 ? (c1 + 1) | 0 : c1) {
    let x0 = SIGMA0, x1 = SIGMA1, x2 = SIGMA2, x3 = SIGMA3, x4 = k0, x5 = k1, x6 = k2, x7 = k3;
    let x8 = k4, x9 = k5, x10 = k6, x11 = k7, x12 = c0, x13 = c1, x14 = n0, x15 = n1;
    for (let r = 0; r < 10; r++) {
      // a double round: four column quarter rounds, then four diagonal ones (RFC 8439 sections 2.1 and 2.3)
      x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 16) | (x12 >>> 16);
      x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 12) | (x4 >>> 20);
      x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 8) | (x12 >>> 24);
      x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 7) | (x4 >>> 25);
      x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 16) | (x13 >>> 16);
      x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 12) | (x5 >>> 20);
      x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 8) | (x13 >>> 24);
      x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 7) | (x5 >>> 25);
      x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 16) | (x14 >>> 16);
      x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 12) | (x6 >>> 20);
      x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 8) | (x14 >>> 24);
      x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 7) | (x6 >>> 25);
      x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 16) | (x15 >>> 16);
      x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 12) | (x7 >>> 20);
      x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 8) | (x15 >>> 24);
      x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 7) | (x7 >>> 25);
      x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 16) | (x15 >>> 16);
      x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 12) | (x5 >>> 20);
      x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 8) | (x15 >>> 24);
      x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 7) | (x5 >>> 25);
      x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 16) | (x12 >>> 16);
      x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 12) | (x6 >>> 20);
      x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 8) | (x12 >>> 24);
      x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 7) | (x6 >>> 25);
      x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 16) | (x13 >>> 16);
      x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 12) | (x7 >>> 20);
      x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 8) | (x13 >>> 24);
      x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 7) | (x7 >>> 25);
      x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 16) | (x14 >>> 16);
      x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 12) | (x4 >>> 20);
      x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 8) | (x14 >>> 24);
      x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 7) | (x4 >>> 25);
    }
    // the block is the permuted state plus the input state, word by word (RFC 8439 section 2.3)
    const o = at + 16 * b;
    out[o] = x0 + SIGMA0; out[o + 1] = x1 + SIGMA1; out[o + 2] = x2 + SIGMA2; out[o + 3] = x3 + SIGMA3;
    out[o + 4] = x4 + k0; out[o + 5] = x5 + k1; out[o + 6] = x6 + k2; out[o + 7] = x7 + k3;
    out[o + 8] = x8 + k4; out[o + 9] = x9 + k5; out[o + 10] = x10 + k6; out[o + 11] = x11 + k7;
    out[o + 12] = x12 + c0; out[o + 13] = x13 + c1; out[o + 14] = x14 + n0; out[o + 15] = x15 + n1;
  }
  return out;
}

function keystream(out) { // keystream words [pos, pos + out.length), as keystream.ts Keystream.words
  let i = 0;
  while (i < out.length) {
    const off = pos % 16, block = (pos - off) / 16, whole = Math.floor((out.length - i) / 16);
    if (off === 0 && whole > 0) {
      chacha20Blocks(KEY, block % TWO_POW_32, Math.floor(block / TWO_POW_32), STREAM, 0, out, i, whole);
      i += 16 * whole; pos += 16 * whole;
    } else {
      chacha20Blocks(KEY, block % TWO_POW_32, Math.floor(block / TWO_POW_32), STREAM, 0, BLOCK, 0, 1);
      const take = Math.min(16 - off, out.length - i);
      out.set(BLOCK.subarray(off, off + take), i);
      i += take; pos += take;
    }
  }
}

function words(out) {
  if (KEY) keystream(out);
  else for (let i = 0; i < out.length; i += 16384) webcrypto.getRandomValues(out.subarray(i, Math.min(out.length, i + 16384)));
  return out;
}

class WordReader {
  constructor() { this.buf = new Uint32Array(SLOW_WORDS); this.pos = SLOW_WORDS; }
  next() {
    if (this.pos === SLOW_WORDS) { words(this.buf); this.pos = 0; }
    return this.buf[this.pos++];
  }
  uniformOpen() { const hi = this.next() >>> 11; return (hi * TWO_POW_32 + this.next() + 1) / TWO_POW_53; }
}

function slowSample(rd, layer, x) {
  for (;;) {
    if (layer === 0) { // tail beyond r (Marsaglia 1964)
      let t, y;
      do { t = -Math.log(rd.uniformOpen()) / R; y = -Math.log(rd.uniformOpen()); } while (y + y <= t * t);
      return R + t;
    }
    if (F[layer] + (1 - rd.uniformOpen()) * (F[layer + 1] - F[layer]) < Math.exp(-0.5 * x * x)) return x; // wedge test
    const a = rd.next(), b = rd.next();
    layer = b & 255;
    x = ((b >>> 11) * TWO_POW_32 + a) * XS[layer];
    if (x < X[layer + 1]) return x;
  }
}

function acceptChunk(w, m, out, start, pending) {
  let rejected = 0;
  for (let k = 0; k < m; k++) {
    const a = w[2 * k], b = w[2 * k + 1];
    const layer = b & 255;
    const x = ((b >>> 11) * TWO_POW_32 + a) * XS[layer];
    if (x < X[layer + 1]) out[start + k] = x * STD * (1 - ((b >>> 7) & 2)); // inner rectangle: accept (Marsaglia & Tsang 2000)
    else pending[rejected++] = k;
  }
  return rejected;
}

function fill(out) {
  const n = out.length;
  const chunk = new Uint32Array(Math.min(CHUNK_WORDS, 2 * n));
  const perChunk = chunk.length >> 1;
  const pending = new Int32Array(perChunk);
  const rd = new WordReader();
  for (let start = 0; start < n; start += perChunk) {
    const m = Math.min(perChunk, n - start);
    const w = words(m === perChunk ? chunk : chunk.subarray(0, 2 * m));
    const rejected = acceptChunk(w, m, out, start, pending);
    for (let j = 0; j < rejected; j++) {
      const k = pending[j], b = w[2 * k + 1], layer = b & 255;
      const x = ((b >>> 11) * TWO_POW_32 + w[2 * k]) * XS[layer];
      out[start + k] = slowSample(rd, layer, x) * STD * (1 - ((b >>> 7) & 2));
    }
  }
  return out;
}

parentPort.on('message', (msg) => {
  const buf = fill(new Float32Array(msg.n));
  parentPort.postMessage({ buf, position: KEY ? pos : null }, [buf.buffer]);
});
`;
