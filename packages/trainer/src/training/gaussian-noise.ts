/**
 * Continuous Gaussian noise from a RandomSource, by the Ziggurat method (Marsaglia & Tsang 2000, 256 layers) on
 * bulk-drawn 32-bit words.
 *
 * Each sample takes two fresh words: 8 bits choose the layer, 1 bit the sign and 53 further bits the uniform position
 * inside the layer. The bits never overlap: Doornik 2005 ("An improved Ziggurat method to generate normal random
 * samples") shows that taking the layer index from the low bits of the same word as the uniform correlates them.
 * The tail (|x| > r) uses Marsaglia's 1964 exponential rejection, the wedges an exact test against exp(-x^2/2),
 * both on 53-bit uniforms, so the method is exact up to floating-point rounding.
 *
 * Floating-point caveat (Mironov 2012, "On significance of the least significant bits for differential privacy"):
 * a double or float32 sample is not an exact draw from N(0, s^2); its low-order bits and the set of reachable values
 * depend on the mean, which in theory can leak the unnoised value. The secure source removes predictable
 * randomness but not this effect. Use `noise: 'discrete_gaussian'` (Canonne, Kamath, Steinke 2020) when this matters:
 * it works on integers and is exact.
 */
import type { RandomSource } from './random-source.js';
import { buildZigguratTable, ZIGGURAT_R } from './ziggurat-table.js';
import { fail } from './fail.js';

const { x: X, f: F } = buildZigguratTable();
const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const XS = X.map((xi) => xi / TWO_POW_53); // x[i] * 2^-53: an integer u53 times XS[i] is exactly (u53 / 2^53) * x[i]
const CHUNK_WORDS = 16384; // one getRandomValues call (65,536 bytes) per chunk of 8,192 samples
const SLOW_WORDS = 128; // the rare rejection path draws its own words in small blocks

/** Words for the rejection path, drawn from the source a small block at a time; leftovers are discarded. */
class WordReader {
  private readonly buf = new Uint32Array(SLOW_WORDS);
  private pos = SLOW_WORDS;

  constructor(private readonly src: RandomSource) {}

  /** The next word. */
  next(): number {
    if (this.pos === SLOW_WORDS) {
      this.src.fillUint32(this.buf);
      this.pos = 0;
    }
    return this.buf[this.pos++]!;
  }

  /** A uniform double in (0, 1] with 53 random bits (never 0, so its log is finite). */
  uniformOpen(): number {
    const hi = this.next() >>> 11;
    return (hi * TWO_POW_32 + this.next() + 1) / TWO_POW_53;
  }
}

/** One N(0, 1) sample by the full Ziggurat loop, after a point (layer, x) fell outside its layer's inner part. */
function slowSample(words: WordReader, layer: number, x: number): number {
  for (;;) {
    if (layer === 0) {
      // tail beyond r (Marsaglia 1964): x = -ln(u1) / r, y = -ln(u2), accept when 2y > x^2; the sample is r + x
      let t: number;
      let y: number;
      do {
        t = -Math.log(words.uniformOpen()) / ZIGGURAT_R;
        y = -Math.log(words.uniformOpen());
      } while (y + y <= t * t);
      return ZIGGURAT_R + t;
    }
    // wedge: a uniform height in [f(x[i]), f(x[i+1])] is under the curve with probability exactly as needed
    if (F[layer]! + (1 - words.uniformOpen()) * (F[layer + 1]! - F[layer]!) < Math.exp(-0.5 * x * x)) return x;
    // rejected: a whole new point (its sign is drawn but not used: the caller's sign bit is still independent)
    const a = words.next();
    const b = words.next();
    layer = b & 255;
    x = ((b >>> 11) * TWO_POW_32 + a) * XS[layer]!;
    if (x < X[layer + 1]!) return x;
  }
}

/**
 * The ziggurat's fast step over one chunk (acceptChunk): writes the samples of the points inside their layer's inner
 * rectangle to out[start + k], lists the other k in `pending`, returns how many it listed.
 */
export type ChunkAccept = (
  w: Uint32Array,
  m: number,
  out: Float32Array | Float64Array,
  start: number,
  std: number,
  pending: Int32Array,
) => number;

/**
 * The fast pass over one chunk: each pair of words (a, b) gives a point in a layer; points inside the layer's inner
 * rectangle are written to `out[start + k]`, the others' k go to `pending`. Returns how many are pending.
 */
const acceptChunk: ChunkAccept = (w, m, out, start, std, pending) => {
  let rejected = 0;
  for (let k = 0; k < m; k++) {
    const a = w[2 * k]!;
    const b = w[2 * k + 1]!;
    const layer = b & 255; // bits 0-7: layer; bit 8: sign; bits 11-31 and all of a: the 53-bit uniform
    const x = ((b >>> 11) * TWO_POW_32 + a) * XS[layer]!;
    // inside the layer's inner rectangle [0, x[i+1]) the point is under the curve: accept (Marsaglia & Tsang 2000)
    if (x < X[layer + 1]!)
      out[start + k] = x * std * (1 - ((b >>> 7) & 2)); // bit 8 as +1/-1, no branch
    else pending[rejected++] = k;
  }
  return rejected;
};

/** The same step over the ziggurat's tables as an external implementation takes them (x[i] 2^-53, then x[i]). */
export type TabledAccept = (...args: [...Parameters<ChunkAccept>, xs: Float64Array, x: Float64Array]) => number;

/**
 * A ChunkAccept from an implementation that takes this module's tables as arguments (native-noise.ts).
 * @example const accept = withTables((w, m, out, start, std, pending, xs, x) => addon.zigguratAccept(...));
 */
export function withTables(f: TabledAccept): ChunkAccept {
  return (w, m, out, start, std, pending) => f(w, m, out, start, std, pending, XS, X);
}

/**
 * Fills `out` with independent N(0, std^2) samples, drawing words from `src` in bulk (`fillUint32`): two words per
 * sample in chunks of up to 8,192 samples, then a few 128-word blocks for the ~1.5% of points that need the wedge or
 * tail test. How many words a fill consumes is a function of the words alone, so a seeded source's checkpointed
 * state reproduces every later fill. `accept` runs the fast step (acceptChunk's contract); the noise worker passes
 * the native one (native-noise.ts), which gives the same bits.
 * @example const z = fillGaussian(new SeededRandomSource(1), new Float32Array(1000), 0.5);
 */
export function fillGaussian(
  src: RandomSource,
  out: Float32Array | Float64Array,
  std: number,
  accept: ChunkAccept = acceptChunk,
): typeof out {
  if (!(std >= 0 && Number.isFinite(std))) fail('invalid_argument', `noise std must be finite and >= 0, got ${std}`);
  const n = out.length;
  const chunk = new Uint32Array(Math.min(CHUNK_WORDS, 2 * n));
  const perChunk = chunk.length >> 1;
  const pending = new Int32Array(perChunk); // samples of this chunk whose point fell outside the inner rectangle
  const slow = new WordReader(src);
  for (let start = 0; start < n; start += perChunk) {
    const m = Math.min(perChunk, n - start);
    const w = src.fillUint32(m === perChunk ? chunk : chunk.subarray(0, 2 * m));
    const rejected = accept(w, m, out, start, std, pending);
    for (let j = 0; j < rejected; j++) {
      const k = pending[j]!;
      const b = w[2 * k + 1]!;
      const layer = b & 255;
      const x = ((b >>> 11) * TWO_POW_32 + w[2 * k]!) * XS[layer]!;
      out[start + k] = slowSample(slow, layer, x) * std * (1 - ((b >>> 7) & 2));
    }
  }
  return out;
}
