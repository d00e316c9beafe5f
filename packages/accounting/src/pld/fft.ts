/**
 * Radix-2 complex FFT on split Float64Arrays (Cooley & Tukey 1965, iterative decimation in time), and the
 * cyclic convolutions the PLD accountant builds on it. No allocation inside the butterfly loops.
 */

interface Twiddles {
  readonly cos: Float64Array;
  readonly sin: Float64Array;
}

const twiddleCache = new Map<number, Twiddles>();

/** cos/sin of 2 pi k / n for k < n, each computed directly (no recurrence drift). */
function twiddles(n: number): Twiddles {
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
    if (twiddleCache.size >= 8) twiddleCache.clear(); // a few sizes are reused; never grow without bound
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
 * One radix-3 step over three radix-2 transforms (length 3P): with F_r the transforms of x_{3j+r} and w = e^{sign 2 pi i/3P},
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
  const [[f0r, f0i], [f1r, f1i], [f2r, f2i]] = parts as [readonly [Float64Array, Float64Array], readonly [Float64Array, Float64Array], readonly [Float64Array, Float64Array]];
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

/** Packs real x (indices taken modulo n) into the half-length complex sequence z_j = x_2j + i x_2j+1. */
function packReal(x: Float64Array, n: number): [Float64Array, Float64Array] {
  const re = new Float64Array(n >> 1);
  const im = new Float64Array(n >> 1);
  for (let i = 0; i < x.length; i++) {
    const j = i % n;
    const h = j >> 1;
    if ((j & 1) === 0) re[h] = re[h]! + x[i]!;
    else im[h] = im[h]! + x[i]!;
  }
  return [re, im];
}

/**
 * Spectrum X_0..X_{n/2} of a real sequence of length n (nextFftSize form) from one complex FFT of length n/2:
 * X_k = E_k + w^k O_k, E_k = (Z_k + conj Z_{n/2-k})/2, O_k = (Z_k - conj Z_{n/2-k})/(2i), w = e^{-2 pi i/n}
 * (Press et al., Numerical Recipes 3rd ed., Sec. 12.3.2). X_{n-k} = conj X_k.
 */
function realSpectrum(x: Float64Array, n: number): [Float64Array, Float64Array] {
  const m = n >> 1;
  const [zr, zi] = packReal(x, n);
  fft(zr, zi, false);
  const { cos, sin } = twiddles(n);
  const xr = new Float64Array(m + 1);
  const xi = new Float64Array(m + 1);
  for (let k = 0; k <= m; k++) {
    const a = k % m;
    const b = (m - k) % m;
    const er = 0.5 * (zr[a]! + zr[b]!);
    const ei = 0.5 * (zi[a]! - zi[b]!);
    const or = 0.5 * (zi[a]! + zi[b]!);
    const oi = -0.5 * (zr[a]! - zr[b]!);
    const wr = k < m ? cos[k]! : -1;
    const wi = k < m ? -sin[k]! : 0;
    xr[k] = er + wr * or - wi * oi;
    xi[k] = ei + wr * oi + wi * or;
  }
  return [xr, xi];
}

/** Inverse of realSpectrum: the real length-n sequence whose spectrum half is (xr, xi). */
function inverseRealSpectrum(xr: Float64Array, xi: Float64Array, n: number): Float64Array {
  const m = n >> 1;
  const { cos, sin } = twiddles(n);
  const zr = new Float64Array(m);
  const zi = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const er = 0.5 * (xr[k]! + xr[m - k]!);
    const ei = 0.5 * (xi[k]! - xi[m - k]!);
    const dr = 0.5 * (xr[k]! - xr[m - k]!);
    const di = 0.5 * (xi[k]! + xi[m - k]!);
    // O_k = D_k / w^k = D_k e^{+2 pi i k/n}; Z_k = E_k + i O_k.
    const c = cos[k]!;
    const s = sin[k]!;
    const or = dr * c - di * s;
    const oi = dr * s + di * c;
    zr[k] = er - oi;
    zi[k] = ei + or;
  }
  fft(zr, zi, true);
  const out = new Float64Array(n);
  for (let j = 0; j < m; j++) {
    out[2 * j] = zr[j]!;
    out[2 * j + 1] = zi[j]!;
  }
  return out;
}

/**
 * Cyclic convolution of real sequences a and b modulo n (nextFftSize form): out_r = sum_{i+j = r mod n} a_i b_j.
 * @example cyclicConvolve(Float64Array.of(1, 1), Float64Array.of(1, 1), 4) // [1, 2, 1, 0]
 */
export function cyclicConvolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const [ar, ai] = realSpectrum(a, n);
  const [br, bi] = realSpectrum(b, n);
  for (let k = 0; k < ar.length; k++) {
    const xr = ar[k]!;
    const xi = ai[k]!;
    const yr = br[k]!;
    const yi = bi[k]!;
    ar[k] = xr * yr - xi * yi;
    ai[k] = xr * yi + xi * yr;
  }
  return inverseRealSpectrum(ar, ai, n);
}

/**
 * k-fold cyclic self-convolution of a real sequence modulo n (nextFftSize form): one real FFT, a pointwise
 * power by binary exponentiation (convolution theorem), one inverse real FFT.
 * @example cyclicPower(Float64Array.of(0.5, 0.5), 2, 4) // [0.25, 0.5, 0.25, 0]
 */
export function cyclicPower(a: Float64Array, k: number, n: number): Float64Array {
  const [re, im] = realSpectrum(a, n);
  for (let j = 0; j < re.length; j++) {
    let br = re[j]!;
    let bi = im[j]!;
    let rr = 1;
    let ri = 0;
    for (let e = k; e > 0; e = Math.floor(e / 2)) {
      if (e % 2 === 1) {
        const t = rr * br - ri * bi;
        ri = rr * bi + ri * br;
        rr = t;
        if (e === 1) break;
      }
      const s = br * br - bi * bi;
      bi = 2 * br * bi;
      br = s;
    }
    re[j] = rr;
    im[j] = ri;
  }
  return inverseRealSpectrum(re, im, n);
}
