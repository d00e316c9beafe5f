/**
 * Composition of discretised PLDs: the PLD of a composition is the convolution of the PLDs (Sommer, Meiser,
 * Mohammadi 2019, Thm. 1). Pairs by direct or FFT convolution; k-fold self-composition by one FFT power on a
 * support bounded beforehand with a Chernoff bound. Everything truncated or aliased is accounted pessimistically.
 */
import { nextFftSize } from './fft.js';
import { cyclicConvolve, cyclicPower } from './real-convolution.js';
import { clampNonNegative, finiteMass, MAX_BINS, truncateTails, withNarrowed, type Pmf } from './pmf.js';

/** Tail mass a composition may truncate; it is counted as infinite loss (dp_accounting's default, 1e-15). */
export const TAIL_MASS_TRUNCATION = 1e-15;
/** Below this many multiply-adds a direct convolution beats the FFT and has no round-off floor. */
const DIRECT_LIMIT = 1 << 16;

/** Infinite loss of a composition: 1 - (1 - a)(1 - b). */
function combineInfinity(a: number, b: number): number {
  return a + b - a * b;
}

/**
 * Puts mass that fell out of a window back on its lowest point: `expected` is the finite mass the window should
 * hold; anything missing came from below the window (above it is bounded by the truncation tolerance).
 */
function restoreMass(probs: Float64Array, expected: number): void {
  const missing = expected - finiteMass(probs);
  if (missing > 0) probs[0] = probs[0]! + missing;
}

/**
 * PLD of the composition of two mechanisms (same discretisation interval).
 * @example composePmf(IDENTITY_PMF, p) // p
 */
export function composePmf(a: Pmf, b: Pmf, tau = TAIL_MASS_TRUNCATION): Pmf {
  const na = a.probs.length;
  const nb = b.probs.length;
  const full = na + nb - 1;
  const infinityMass = combineInfinity(a.infinityMass, b.infinityMass);
  const inherited = a.narrowed === true || b.narrowed === true;
  if (na === 1 || nb === 1) {
    const [single, other] = na === 1 ? [a, b] : [b, a];
    const w = single.probs[0]!;
    const probs = other.probs.map((p) => p * w);
    return truncateTails(withNarrowed({ offset: a.offset + b.offset, probs, infinityMass }, inherited), tau);
  }
  let result: Pmf;
  if (na * nb <= DIRECT_LIMIT && full <= MAX_BINS) {
    const probs = new Float64Array(full);
    for (let i = 0; i < na; i++) {
      const pi = a.probs[i]!;
      if (pi === 0) continue;
      for (let j = 0; j < nb; j++) probs[i + j] = probs[i + j]! + pi * b.probs[j]!;
    }
    result = withNarrowed({ offset: a.offset + b.offset, probs, infinityMass }, inherited);
  } else {
    // Keep the top `m` points of the linear convolution; a cyclic length n >= m wraps lower indices upward.
    const m = Math.min(full, MAX_BINS);
    const n = nextFftSize(m);
    const cyc = cyclicConvolve(a.probs, b.probs, n);
    const start = full - m;
    const probs = new Float64Array(m);
    for (let s = 0; s < m; s++) probs[s] = cyc[(start + s) % n]!;
    clampNonNegative(probs);
    if (m < full) restoreMass(probs, finiteMass(a.probs) * finiteMass(b.probs));
    result = withNarrowed({ offset: a.offset + b.offset + start, probs, infinityMass }, inherited || m < full);
  }
  return truncateTails(result, tau);
}

/**
 * [lower, upper] index bounds (sum of k indices in 0..n-1) outside of which the k-fold convolution holds at most
 * tau/2 mass on each side: P(S >= u) <= exp(k log M(t) - t u) for t > 0 and symmetrically for t < 0 (Chernoff
 * bound; dp_accounting common.compute_self_convolve_bounds uses the same inequality).
 * @example selfConvolveBounds(stepPmf.probs, 10_000, 1e-15) // [lower, upper] grid indices of the sum
 */
export function selfConvolveBounds(probs: Float64Array, k: number, tau: number): [number, number] {
  const n = probs.length;
  let mass = 0;
  let mean = 0;
  let second = 0;
  for (let i = 0; i < n; i++) {
    const p = probs[i]!;
    mass += p;
    mean += p * i;
    second += p * i * i;
  }
  if (!(mass > 0)) return [0, (n - 1) * k];
  mean /= mass;
  const variance = Math.max(second / mass - mean * mean, 1e-12);
  let top = n - 1;
  while (top > 0 && !(probs[top]! > 0)) top--;
  let bottom = 0;
  while (bottom < top && !(probs[bottom]! > 0)) bottom++;
  const logTail = Math.log(2 / tau);
  /** The Chernoff bound at order t (upper tail for t > 0, lower for t < 0). */
  const bound = (t: number): number => {
    // log M(t) = log sum p_i e^{t i}, factored at the outermost non-zero point so the sum cannot underflow;
    // the powers e^{-|t| j} come from a running product.
    const r = Math.exp(-Math.abs(t));
    let s = 0;
    let w = 1;
    if (t > 0) for (let i = top; i >= 0 && w > 1e-300; i--, w *= r) s += probs[i]! * w;
    else for (let i = bottom; i < n && w > 1e-300; i++, w *= r) s += probs[i]! * w;
    const b = (k * (Math.log(s) + t * (t > 0 ? top : bottom)) + logTail) / t;
    return Number.isFinite(b) ? b : t > 0 ? Infinity : -Infinity;
  };
  // The bound is unimodal in t (its numerator's derivative is k t K''(t) >= 0), so a coarse geometric scan around the
  // Gaussian optimum t* = sqrt(2 log(2/tau) / (k var)) followed by a finer one finds its minimum closely (for DP-SGD
  // steps the optimum lies within t* 2^-7 .. t* 2^6; any t gives a valid bound, only a looser one).
  const tStar = Math.sqrt((2 * logTail) / (k * variance));
  const best = (sign: 1 | -1): number => {
    let bestE = 0;
    let bestB = sign * bound(sign * tStar);
    for (let e = -10; e <= 6; e += 1) {
      const b = sign * bound(sign * tStar * Math.pow(2, e));
      if (b < bestB) [bestB, bestE] = [b, e];
    }
    for (let e = bestE - 0.75; e <= bestE + 0.75; e += 0.25) {
      bestB = Math.min(bestB, sign * bound(sign * tStar * Math.pow(2, e)));
    }
    return sign * bestB;
  };
  const upper = Math.min((n - 1) * k, Math.ceil(best(1)));
  const lower = Math.min(upper, Math.max(0, Math.floor(best(-1))));
  return [lower, upper];
}

/**
 * PLD of `count` compositions of one mechanism: one FFT, a pointwise power, one inverse FFT on the Chernoff window.
 * The truncation tolerance is added to the infinite loss (it covers the mass outside the window and its aliases).
 * @example selfComposePmf(stepPmf, 10_000)
 */
export function selfComposePmf(pmf: Pmf, count: number, tau = TAIL_MASS_TRUNCATION): Pmf {
  if (count === 1) return pmf;
  if (count === 0) return { offset: 0, probs: Float64Array.of(1), infinityMass: 0 };
  // Trimming each step by tau/count first shortens heavy tails; what it removes above is counted as infinite loss.
  pmf = truncateTails(pmf, tau / count);
  const composedInfinity = -Math.expm1(count * Math.log1p(-pmf.infinityMass)); // 1 - (1 - inf)^count
  const n = pmf.probs.length;
  if (n === 1) {
    return withNarrowed(
      {
        offset: pmf.offset * count,
        probs: Float64Array.of(Math.pow(pmf.probs[0]!, count)),
        infinityMass: composedInfinity,
      },
      pmf.narrowed === true,
    );
  }
  const infinityMass = Math.min(1, composedInfinity + tau);
  const bounds = selfConvolveBounds(pmf.probs, count, tau);
  const upper = bounds[1];
  let lower = bounds[0];
  const cut = upper - lower + 1 > MAX_BINS;
  if (cut) lower = upper - MAX_BINS + 1; // lower mass wraps upward: pessimistic, but loose (marked narrowed)
  const m = upper - lower + 1;
  const size = nextFftSize(m);
  const cyc = cyclicPower(pmf.probs, count, size);
  const probs = new Float64Array(m);
  for (let s = 0; s < m; s++) probs[s] = cyc[(lower + s) % size]!;
  clampNonNegative(probs);
  restoreMass(probs, Math.pow(finiteMass(pmf.probs), count) - tau / 2);
  return withNarrowed({ offset: pmf.offset * count + lower, probs, infinityMass }, pmf.narrowed === true || cut);
}
