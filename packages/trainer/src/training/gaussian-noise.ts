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
const CHUNK_WORDS = 16384; // one getRandomValues call (65,536 bytes) per refill
const SLACK_WORDS = 64; // extra words per refill so the rare rejections seldom force a second one

/** Words drawn from the source a chunk at a time; what is left at the end of one fill is discarded. */
class WordReader {
  buf: Uint32Array;
  pos = 0;
  len = 0;

  constructor(private readonly src: RandomSource, expected: number) {
    this.buf = new Uint32Array(Math.min(CHUNK_WORDS, expected + SLACK_WORDS));
  }

  /** Makes at least `need` (<= CHUNK_WORDS) words available, asking for about `want` (the rest of the fill). */
  refill(need: number, want: number): void {
    const left = this.len - this.pos;
    if (left >= need) return;
    const size = Math.min(CHUNK_WORDS, Math.max(need, want + SLACK_WORDS));
    if (size > this.buf.length) {
      const bigger = new Uint32Array(size);
      bigger.set(this.buf.subarray(this.pos, this.len));
      this.buf = bigger;
    } else {
      this.buf.copyWithin(0, this.pos, this.len);
    }
    this.src.fillUint32(this.buf.subarray(left, size));
    this.pos = 0;
    this.len = size;
  }

  /** A uniform double in (0, 1] with 53 random bits (never 0, so its log is finite). */
  uniformOpen(): number {
    this.refill(2, SLACK_WORDS);
    const hi = this.buf[this.pos]! >>> 11;
    const lo = this.buf[this.pos + 1]!;
    this.pos += 2;
    return (hi * TWO_POW_32 + lo + 1) / TWO_POW_53;
  }
}

/** One N(0, 1) sample by the full Ziggurat loop: the rare path after a point fell outside its layer's inner part. */
function slowSample(words: WordReader, layer: number, x: number, negative: boolean): number {
  for (;;) {
    if (layer === 0) {
      // tail beyond r (Marsaglia 1964): x = -ln(u1) / r, y = -ln(u2), accept when 2y > x^2; the sample is r + x
      let t: number;
      let y: number;
      do {
        t = -Math.log(words.uniformOpen()) / ZIGGURAT_R;
        y = -Math.log(words.uniformOpen());
      } while (y + y <= t * t);
      return negative ? -(ZIGGURAT_R + t) : ZIGGURAT_R + t;
    }
    // wedge: a uniform height in [f(x[i]), f(x[i+1])] is under the curve with probability exactly as needed
    if (F[layer]! + (1 - words.uniformOpen()) * (F[layer + 1]! - F[layer]!) < Math.exp(-0.5 * x * x)) return negative ? -x : x;
    words.refill(2, SLACK_WORDS); // rejected: a whole new sample (layer, sign, position)
    const a = words.buf[words.pos]!;
    const b = words.buf[words.pos + 1]!;
    words.pos += 2;
    layer = b & 255;
    negative = (b & 256) !== 0;
    x = ((b >>> 11) * TWO_POW_32 + a) * XS[layer]!;
    if (x < X[layer + 1]!) return negative ? -x : x;
  }
}

/**
 * Fills `out` with independent N(0, std^2) samples, drawing words from `src` in bulk (`fillUint32`).
 * @example const z = fillGaussian(new SeededRandomSource(1), new Float32Array(1000), 0.5);
 */
export function fillGaussian(src: RandomSource, out: Float32Array | Float64Array, std: number): typeof out {
  if (!(std >= 0 && Number.isFinite(std))) fail('invalid_argument', `noise std must be finite and >= 0, got ${std}`);
  const n = out.length;
  const words = new WordReader(src, 2 * n);
  let i = 0;
  while (i < n) {
    words.refill(2, 2 * (n - i));
    let buf = words.buf;
    let p = words.pos;
    let end = words.len - 1;
    for (; i < n && p < end; i++) {
      const a = buf[p]!;
      const b = buf[p + 1]!;
      p += 2;
      const layer = b & 255; // bits 0-7: layer; bit 8: sign; bits 11-31 and all of a: the 53-bit uniform
      const x = ((b >>> 11) * TWO_POW_32 + a) * XS[layer]!;
      const s = std * (1 - ((b >>> 7) & 2)); // bit 8 as a sign, +1 or -1, without a branch the CPU cannot predict
      // inside the layer's inner rectangle [0, x[i+1]) the point is under the curve: accept (Marsaglia & Tsang 2000)
      if (x < X[layer + 1]!) {
        out[i] = x * s;
      } else {
        words.pos = p;
        out[i] = slowSample(words, layer, x, false) * s; // a restart there draws its own sign: times s, still fair
        buf = words.buf;
        p = words.pos;
        end = words.len - 1;
      }
    }
    words.pos = p;
  }
  return out;
}
