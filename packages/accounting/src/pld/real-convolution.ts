/**
 * Cyclic convolutions of real sequences through half-length complex FFTs: the PLD accountant's composition
 * (pairwise) and self-composition (pointwise power) kernels.
 */
import { fft, twiddles } from './fft.js';

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
