/**
 * Radix-2 complex FFT on split Float64Arrays (Cooley & Tukey 1965, iterative decimation in time), and the
 * cyclic convolutions the PLD accountant builds on it. No allocation inside the butterfly loops.
 */

interface Twiddles {
  readonly cos: Float64Array;
  readonly sin: Float64Array;
}

const twiddleCache = new Map<number, Twiddles>();

/** cos/sin of 2 pi k / n for k < n/2, each computed directly (no recurrence drift). */
function twiddles(n: number): Twiddles {
  let t = twiddleCache.get(n);
  if (t === undefined) {
    const half = n >> 1;
    const cos = new Float64Array(half);
    const sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      const a = (2 * Math.PI * k) / n;
      cos[k] = Math.cos(a);
      sin[k] = Math.sin(a);
    }
    t = { cos, sin };
    if (twiddleCache.size >= 4) twiddleCache.clear(); // a few sizes are reused; never grow without bound
    twiddleCache.set(n, t);
  }
  return t;
}

/** Smallest power of two >= n (n >= 1). */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * In-place discrete Fourier transform X_k = sum_j x_j e^{-2 pi i jk/n} (inverse: e^{+...}/n).
 * `re.length` must be a power of two and equal `im.length`.
 * @example const re = Float64Array.of(1, 0, 0, 0), im = new Float64Array(4); fft(re, im, false); // re = [1,1,1,1]
 */
export function fft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  if (n !== im.length || (n & (n - 1)) !== 0) throw new RangeError(`fft length ${n} is not a power of two`);
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
  const sign = inverse ? 1 : -1;
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
  if (inverse) {
    const s = 1 / n;
    for (let i = 0; i < n; i++) {
      re[i] = re[i]! * s;
      im[i] = im[i]! * s;
    }
  }
}

/** Adds `src` into a zeroed length-n buffer with indices taken modulo n (cyclic wrap). */
function wrapInto(dst: Float64Array, src: Float64Array): void {
  const n = dst.length;
  for (let i = 0; i < src.length; i++) {
    const j = i % n;
    dst[j] = dst[j]! + src[i]!;
  }
}

/**
 * Cyclic convolution of real sequences a and b modulo n (a power of two): out_r = sum_{i+j = r mod n} a_i b_j.
 * @example cyclicConvolve(Float64Array.of(1, 1), Float64Array.of(1, 1), 4) // [1, 2, 1, 0]
 */
export function cyclicConvolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const ar = new Float64Array(n);
  const ai = new Float64Array(n);
  const br = new Float64Array(n);
  const bi = new Float64Array(n);
  wrapInto(ar, a);
  wrapInto(br, b);
  fft(ar, ai, false);
  fft(br, bi, false);
  for (let k = 0; k < n; k++) {
    const xr = ar[k]!;
    const xi = ai[k]!;
    const yr = br[k]!;
    const yi = bi[k]!;
    ar[k] = xr * yr - xi * yi;
    ai[k] = xr * yi + xi * yr;
  }
  fft(ar, ai, true);
  return ar;
}

/**
 * k-fold cyclic self-convolution of a real sequence modulo n: one FFT, a pointwise power by binary
 * exponentiation (convolution theorem), one inverse FFT.
 * @example cyclicPower(Float64Array.of(0.5, 0.5), 2, 4) // [0.25, 0.5, 0.25, 0]
 */
export function cyclicPower(a: Float64Array, k: number, n: number): Float64Array {
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  wrapInto(re, a);
  fft(re, im, false);
  for (let j = 0; j < n; j++) {
    let br = re[j]!;
    let bi = im[j]!;
    let rr = 1;
    let ri = 0;
    for (let e = k; e > 0; e = Math.floor(e / 2)) {
      if (e % 2 === 1) {
        const t = rr * br - ri * bi;
        ri = rr * bi + ri * br;
        rr = t;
      }
      const s = br * br - bi * bi;
      bi = 2 * br * bi;
      br = s;
    }
    re[j] = rr;
    im[j] = ri;
  }
  fft(re, im, true);
  return re;
}
