/**
 * The body of the noise prefetch worker, as plain JavaScript run by `new Worker(code, { eval: true })`, so the same
 * worker runs from dist/ under Node and from src/ under vitest (a worker cannot load a .ts file).
 *
 * It is a word-for-word port of `fillGaussian` (gaussian-noise.ts, Ziggurat of Marsaglia & Tsang 2000, same bit
 * layout, chunking and order of operations). In seeded mode it draws the run's ChaCha20 noise stream (RFC 8439) from
 * node:crypto's `chacha20` cipher exactly as keystream.ts does (word w = word w mod 16 of block floor(w / 16), the
 * stream id as nonce word 14); in secure mode it draws from node:crypto's webcrypto getRandomValues.
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
const crypto = require('node:crypto');
const { webcrypto } = crypto;
const X = workerData.x, F = workerData.f, XS = workerData.xs, R = workerData.r, STD = workerData.std;
const KEY = workerData.key ? Buffer.from(workerData.key) : null, STREAM = workerData.stream;
let pos = workerData.position;
const TWO_POW_32 = 4294967296, TWO_POW_53 = 9007199254740992, CHUNK_WORDS = 16384, SLOW_WORDS = 128, SLICE = 65536;
const ZEROS = new Uint8Array(SLICE);

function keystream(out) { // keystream words [pos, pos + out.length), as keystream.ts nodeWords
  const off = pos % 16, block = (pos - off) / 16;
  const iv = Buffer.alloc(16);
  iv.writeUInt32LE(block % TWO_POW_32, 0); iv.writeUInt32LE(Math.floor(block / TWO_POW_32), 4); iv.writeUInt32LE(STREAM, 8);
  const cipher = crypto.createCipheriv('chacha20', KEY, iv);
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  let skip = 4 * off;
  for (let written = 0; written < bytes.length; ) {
    const ks = cipher.update(ZEROS.subarray(0, Math.min(SLICE, skip + bytes.length - written)));
    bytes.set(ks.subarray(skip), written);
    written += ks.length - skip;
    skip = 0;
  }
  pos += out.length;
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
