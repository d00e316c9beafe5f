/**
 * Complex FFT on split Float64Arrays for lengths 2^a and 3 * 2^a (Cooley & Tukey 1965: iterative radix-2
 * decimation in time, one radix-3 step on top). No allocation inside the butterfly loops.
 */

export interface Twiddles {
  readonly cos: Float64Array;
  readonly sin: Float64Array;
}

const twiddleCache = new Map<number, Twiddles>();

/**
 * cos/sin of 2 pi k / n for k < n, each computed directly (no recurrence drift), cached per n.
 * @example twiddles(8).cos[2] // ~0 (cos of pi/2)
 */
export function twiddles(n: number): Twiddles {
  let t = twiddleCache.get(n);
  if (t === undefined) {
    const cos = new Float64Array(n);
    const sin = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const a = (2 * Math.PI * k) / n;
      cos[k] = Math.cos(a);
      sin[k] = Math.sin(a);
    }
    t = { cos, sin };
    // A few sizes are reused; keep at most ~2^23 entries (128 MiB) so a long-lived process does not hoard them.
    let cached = n;
    for (const key of twiddleCache.keys()) cached += key;
    if (cached > 1 << 23) twiddleCache.clear();
    twiddleCache.set(n, t);
  }
  return t;
}

/**
 * Smallest power of two >= n (n >= 1).
 * @example nextPow2(1025) // 2048
 */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Smallest transform length >= n (n >= 1) of the form 2^a (a >= 1) or 3 * 2^a (a >= 2): even, so real sequences
 * pack into half-length complex ones, and never more than 4/3 of n (a power of two alone can waste up to half).
 * @example nextFftSize(5000) // 6144
 */
export function nextFftSize(n: number): number {
  const p = Math.max(2, nextPow2(n));
  return p >= 8 && (3 * p) / 4 >= n ? (3 * p) / 4 : p;
}

/** Unnormalised in-place radix-2 transform with exponent sign `sign` (length a power of two). */
function fftPow2(re: Float64Array, im: Float64Array, sign: number): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i]!;
      re[i] = re[j]!;
      re[j] = tr;
      const ti = im[i]!;
      im[i] = im[j]!;
      im[j] = ti;
    }
  }
  const { cos, sin } = twiddles(n);
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0, t = 0; k < half; k++, t += step) {
        const wr = cos[t]!;
        const wi = sign * sin[t]!;
        const a = start + k;
        const b = a + half;
        const br = re[b]!;
        const bi = im[b]!;
        const xr = br * wr - bi * wi;
        const xi = br * wi + bi * wr;
        const ar = re[a]!;
        const ai = im[a]!;
        re[b] = ar - xr;
        im[b] = ai - xi;
        re[a] = ar + xr;
        im[a] = ai + xi;
      }
    }
  }
}

/**
 * One radix-3 step over three radix-2 transforms (length 3P): with F_r the transforms of x_{3j+r} and
 * w = e^{sign 2 pi i/3P},
 * X_{k+sP} = F0_k + w^{k+sP} F1_k + w^{2(k+sP)} F2_k, s = 0, 1, 2 (Cooley & Tukey 1965, mixed radix).
 */
function fftRadix3(re: Float64Array, im: Float64Array, sign: number): void {
  const n = re.length;
  const p = n / 3;
  const parts = [0, 1, 2].map((r) => {
    const pr = new Float64Array(p);
    const pi = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      pr[j] = re[3 * j + r]!;
      pi[j] = im[3 * j + r]!;
    }
    fftPow2(pr, pi, sign);
    return [pr, pi] as const;
  });
  type Part = readonly [Float64Array, Float64Array];
  const [[f0r, f0i], [f1r, f1i], [f2r, f2i]] = parts as [Part, Part, Part];
  const { cos, sin } = twiddles(n);
  const c3 = -0.5; // omega = e^{sign 2 pi i/3} = -1/2 + sign i sqrt(3)/2
  const s3 = sign * 0.8660254037844386;
  for (let k = 0; k < p; k++) {
    const w1r = cos[k]!;
    const w1i = sign * sin[k]!;
    const w2r = cos[2 * k]!;
    const w2i = sign * sin[2 * k]!;
    const ar = f1r[k]! * w1r - f1i[k]! * w1i;
    const ai = f1r[k]! * w1i + f1i[k]! * w1r;
    const br = f2r[k]! * w2r - f2i[k]! * w2i;
    const bi = f2r[k]! * w2i + f2i[k]! * w2r;
    const sr = ar + br;
    const si = ai + bi;
    // omega a + omega^2 b = c3 (a + b) + i s3 (a - b); omega^2 a + omega b = c3 (a + b) - i s3 (a - b)
    const dr = -s3 * (ai - bi);
    const di = s3 * (ar - br);
    re[k] = f0r[k]! + sr;
    im[k] = f0i[k]! + si;
    re[k + p] = f0r[k]! + c3 * sr + dr;
    im[k + p] = f0i[k]! + c3 * si + di;
    re[k + 2 * p] = f0r[k]! + c3 * sr - dr;
    im[k + 2 * p] = f0i[k]! + c3 * si - di;
  }
}

/**
 * In-place discrete Fourier transform X_k = sum_j x_j e^{-2 pi i jk/n} (inverse: e^{+...}/n), for n a power of
 * two or three times one.
 * @example const re = Float64Array.of(1, 0, 0, 0), im = new Float64Array(4); fft(re, im, false); // re = [1,1,1,1]
 */
export function fft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  const pow2 = (n & (n - 1)) === 0;
  const radix3 = n % 3 === 0 && ((n / 3) & (n / 3 - 1)) === 0;
  // internal assertion: the PLD code sizes every transform itself (never from user input)
  if (n !== im.length || n === 0 || !(pow2 || radix3)) throw new RangeError(`fft length ${n} is not 2^a or 3 * 2^a`);
  const sign = inverse ? 1 : -1;
  if (pow2) fftPow2(re, im, sign);
  else fftRadix3(re, im, sign);
  if (inverse) {
    const s = 1 / n;
    for (let i = 0; i < n; i++) {
      re[i] = re[i]! * s;
      im[i] = im[i]! * s;
    }
  }
}
