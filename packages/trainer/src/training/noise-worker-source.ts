/**
 * The body of the noise prefetch worker, as plain JavaScript run by `new Worker(code, { eval: true })`, so the same
 * worker runs from dist/ under Node and from src/ under vitest (a worker cannot load a .ts file).
 *
 * It is a word-for-word port of `fillGaussian` (gaussian-noise.ts, Ziggurat of Marsaglia & Tsang 2000, same bit
 * layout, chunking and order of operations), drawing from xoshiro128** (Blackman & Vigna 2018, as random-source.ts)
 * in seeded mode and from node:crypto's webcrypto getRandomValues in secure mode. noise-prefetch.test.ts checks that
 * a seeded worker fill equals `fillGaussian` on the same state bit for bit, so the inline fallback continues the same
 * stream.
 *
 * Protocol: workerData = { x, f, xs, r, std, state } (Ziggurat table, x[i] * 2^-53, tail start, sample std,
 * xoshiro state or null);
 * each message { n } is answered by { buf, state }: a fresh Float32Array of n N(0, std^2) samples (its buffer
 * transferred, never kept) and the xoshiro state after it (null in secure mode).
 */
export const NOISE_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { webcrypto } = require('node:crypto');
const X = workerData.x, F = workerData.f, XS = workerData.xs, R = workerData.r, STD = workerData.std;
const s = workerData.state ? Uint32Array.from(workerData.state) : null;
const TWO_POW_32 = 4294967296, TWO_POW_53 = 9007199254740992, CHUNK_WORDS = 16384, SLOW_WORDS = 128, BLOCK = 1024;

function xoshiroBlock(out, from, to) {
  let s0 = s[0] | 0, s1 = s[1] | 0, s2 = s[2] | 0, s3 = s[3] | 0;
  for (let i = from; i < to; i++) {
    const m = Math.imul(s1, 5); // xoshiro128** output rotl(s1 * 5, 7) * 9 (Blackman & Vigna 2018)
    out[i] = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
  }
  s[0] = s0; s[1] = s1; s[2] = s2; s[3] = s3;
}

function words(out) {
  if (s) for (let from = 0; from < out.length; from += BLOCK) xoshiroBlock(out, from, Math.min(out.length, from + BLOCK));
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
  parentPort.postMessage({ buf, state: s ? Array.from(s) : null }, [buf.buffer]);
});
`;
