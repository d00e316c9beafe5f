/**
 * RDP of the Poisson-subsampled Gaussian mechanism under add_or_remove_one (Mironov, Talwar, Zhang 2019,
 * "Renyi Differential Privacy of the Sampled Gaussian Mechanism", arXiv:1908.10530).
 *
 * RDP(a) = log(A_a) / (a - 1) with A_a = E_{z~N(0,s^2)}[(1 - q + q L(z))^a], L = N(1,s^2)/N(0,s^2) (MTZ19 Sec. 3).
 * We compute D = A_a - 1 directly (never A_a), so tiny RDP values (q = 1e-6) keep full relative precision:
 * since E[L] = 1, D = E[(1 - q + qL)^a - 1 - a q (L - 1)], an integral of a non-negative function (Bernoulli).
 */
import { logBandIntegral } from './band-integral.js';
import { SignedLogSum, logAdd, logExpm1, logNormalTail } from './log-math.js';

const EPS = Number.EPSILON;
/** Stop a fractional-order series once the next term is below this fraction of the running total. */
const REL_TOL = 1e-12;
/** Most series terms per fractional order; past it the (rigorous) tail bound is still added. */
const MAX_TERMS = 200_000;

/** Absolute error of a log-magnitude assembled from parts of these sizes (a few roundings each). */
function logErr(...parts: number[]): number {
  let s = 0;
  for (const p of parts) s += Math.abs(p);
  return 8 * EPS * s + 1e-14;
}

/** RDP from log(D), D = A - 1 >= 0: log1p(D) / (a - 1). */
function rdpFromLogD(logD: number, order: number): number {
  if (logD === -Infinity) return 0;
  const logA = logD > 40 ? logD + Math.log1p(Math.exp(-logD)) : Math.log1p(Math.exp(logD));
  return logA / (order - 1);
}

/**
 * Integer order: D = sum_{k=2}^{a} C(a,k) (1-q)^{a-k} q^k expm1(k(k-1)/(2 s^2)), all terms >= 0 (MTZ19 Sec. 3.2 with
 * the k=0,1 terms cancelled against 1).
 */
function logDInteger(q: number, sigma: number, order: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const sum = new SignedLogSum();
  let logC = Math.log(order); // log C(a, 1)
  for (let k = 2; k <= order; k++) {
    logC += Math.log(order - k + 1) - Math.log(k);
    const a = (order - k) * log1mQ;
    const b = k * logQ;
    const c = logExpm1((k * (k - 1)) / (2 * sigma * sigma));
    sum.add(logC + a + b + c, 1, logErr(logC, a, b, c) + 4 * EPS * k * Math.log(k + 1));
  }
  return sum.upperLog();
}

/**
 * sum_{k>=2} C(a,k) (-q)^k = (1-q)^a - 1 + a q, without cancellation for small q (binomial series while a q <= 1, where
 * it shrinks geometrically).
 */
function bernoulliGap(q: number, order: number): number {
  if (q >= 0.1 || order * q > 1) return Math.pow(1 - q, order) - 1 + order * q;
  let term = (order * (order - 1) * q * q) / 2;
  let sum = term;
  for (let k = 2; k < 400 && Math.abs(term) > Math.abs(sum) * 1e-18; k++) {
    term *= (-q * (order - k)) / (k + 1);
    sum += term;
  }
  return sum;
}

/**
 * Fractional order, q >= 1/4 (MTZ19 Sec. 3.3, with a band): left of zL = z0 - w and right of zR = z0 + w, where
 * z0 solves (1-q) N(0) = q N(1), expand binomially. Left: sum_i C(a,i)(1-q)^{a-i} q^i e^{(i^2-i)/2s^2}
 * P(N(i,s^2) <= zL); right: the same with i <-> a-i and P(N(a-i,s^2) > zR). The tangent 1 + a q (L - 1) is
 * subtracted in closed form on each side; the band [zL, zR] is integrated numerically (bandIntegral).
 * Past i > a+1 the terms alternate and |t_{i+1}| <= |t_i| (i-a)/(i+1) e^{-w/s^2} (Gaussian tail log-concavity:
 * Q(x+h) <= Q(x) e^{-xh-h^2/2}), so the tail after term M lies between 0 and -t_M (Leibniz); we add max(-t_M, 0).
 */
function logDFractional(q: number, sigma: number, order: number): number {
  const s2 = sigma * sigma;
  const z0 = s2 * (Math.log1p(-q) - Math.log(q)) + 0.5; // (1-q) N(0,s^2)(z0) = q N(1,s^2)(z0) (MTZ19 Sec. 3.3)
  const w = Math.min(s2, 40 * sigma); // band half-width: the outer series then shrink by e^{-w/s^2} per term
  // When the integrand stays below e^50 (a^2/2s^2 < 50) the band also covers its whole bulk [-30 s, a + 30 s], so
  // the outer series (where 1 + D would cancel against the tangent) carry only Gaussian-tail mass.
  const wide = (order * order) / (2 * s2) < 50;
  const zL = wide ? Math.min(z0 - w, -30 * sigma) : z0 - w;
  const zR = wide ? Math.max(z0 + w, order + 30 * sigma) : z0 + w;
  return logDSplit(q, sigma, order, zL, zR);
}

function logDSplit(q: number, sigma: number, order: number, zL: number, zR: number): number {
  const s2 = sigma * sigma;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const sum = new SignedLogSum();
  sum.add(logBandIntegral(q, sigma, order, zL, zR), 1, 1e-12); // quadrature of a smooth non-negative integrand
  const logLeft = (k: number): number => logNormalTail((k - zL) / sigma); // log P(N(k,s^2) <= zL)
  const logRight = (k: number): number => logNormalTail((zR - k) / sigma); // log P(N(k,s^2) > zR)

  // Left side, i = 0 and 1 minus the tangent: P1 P(N(0) <= zL) - N1 P(N(1) <= zL).
  const p1 = bernoulliGap(q, order);
  const n1 = -order * q * Math.expm1((order - 1) * log1mQ);
  if (p1 > 0) sum.add(Math.log(p1) + logLeft(0), 1, logErr(logLeft(0)) + 1e-13);
  if (n1 > 0) sum.add(Math.log(n1) + logLeft(1), -1, logErr(logLeft(1)));
  // Right side tangent: -(1 - a q) P(N(0) > zR) - a q P(N(1) > zR).
  const oneMinusAq = 1 - order * q;
  if (oneMinusAq !== 0)
    sum.add(Math.log(Math.abs(oneMinusAq)) + logRight(0), oneMinusAq > 0 ? -1 : 1, logErr(logRight(0)));
  sum.add(Math.log(order * q) + logRight(1), -1, logErr(logRight(1)));

  let logC = 0; // log |C(a, i)|
  let sign: 1 | -1 = 1;
  let runPos = -Infinity;
  let runNeg = -Infinity;
  const firstAlternating = Math.floor(order) + 2;
  let leftDone = false;
  let rightDone = false;
  for (let i = 0; !(leftDone && rightDone); i++) {
    if (i > 0) {
      logC += Math.log(Math.abs(order - i + 1)) - Math.log(i);
      if (order - i + 1 < 0) sign = sign === 1 ? -1 : 1;
    }
    const j = order - i;
    const cErr = 4 * EPS * i * Math.log(i + 2);
    const terms: [number, boolean][] = [];
    if (i >= 2 && !leftDone) {
      const a = (order - i) * log1mQ;
      const b = i * logQ;
      const e = (i * i - i) / (2 * s2);
      const t = logLeft(i);
      terms.push([logC + a + b + e + t, true]);
      sum.add(logC + a + b + e + t, sign, logErr(logC, a, b, e, t) + cErr);
    }
    if (!rightDone) {
      const a = j * logQ;
      const b = i * log1mQ;
      const e = (j * j - j) / (2 * s2);
      const t = logRight(j);
      terms.push([logC + a + b + e + t, false]);
      sum.add(logC + a + b + e + t, sign, logErr(logC, a, b, e, t) + cErr);
    }
    for (const [l] of terms) {
      if (sign > 0) runPos = logAdd(runPos, l);
      else runNeg = logAdd(runNeg, l);
    }
    if (i < firstAlternating) continue;
    const running = runPos > runNeg ? runPos + Math.log1p(-Math.exp(runNeg - runPos)) : -Infinity;
    const last = i >= MAX_TERMS;
    for (const [l, isLeft] of terms) {
      if (!(l <= running + Math.log(REL_TOL)) && !last) continue;
      // Leibniz: the rest after this (already added) term has the opposite sign and magnitude <= |this term|.
      if (sign < 0) sum.add(l, 1, 0);
      if (isLeft) leftDone = true;
      else rightDone = true;
    }
  }
  return sum.upperLog();
}

/**
 * Fractional order, q < 1/4: the same split, with the tangent absorbed exactly. Writing e^c P(<=z0) =
 * expm1(c) P(<=z0) + 1 - P(>z0) and using sum_i a_i = 1, sum_i i a_i = a q (binomial series, q < 1/2), the left
 * side's tangent cancels the right side's, leaving D = sum_{i>=2} a_i expm1(c_i) P(N(i)<=z0)
 * + sum_i b_i e^{c_{a-i}} P(N(a-i)>z0) - sum_i a_i P(N(i)>z0): no cancellation when q or 1/sigma is small.
 * Tails: the first sum is a difference of two Leibniz series (bound |a_M e_M P_M| + |a_M P_M|), the second is
 * Leibniz as above, the third (subtracted) is bounded by |a_M| r/(1-r), r = q/(1-q).
 */
function logDFractionalSmallQ(q: number, sigma: number, order: number): number {
  const s2 = sigma * sigma;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const logR = logQ - log1mQ;
  const z0 = s2 * (log1mQ - logQ) + 0.5; // (1-q) N(0,s^2)(z0) = q N(1,s^2)(z0) (MTZ19 Sec. 3.3)
  const logLeft = (k: number): number => logNormalTail((k - z0) / sigma); // log P(N(k,s^2) <= z0)
  const logRight = (k: number): number => logNormalTail((z0 - k) / sigma); // log P(N(k,s^2) > z0)
  const sum = new SignedLogSum();
  const firstAlternating = Math.floor(order) + 2;
  const done = [false, false, false];
  let runPos = -Infinity;
  let runNeg = -Infinity;
  const track = (l: number, sign: number) => {
    if (sign > 0) runPos = logAdd(runPos, l);
    else runNeg = logAdd(runNeg, l);
  };
  let logC = 0;
  let sign: 1 | -1 = 1;
  for (let i = 0; !(done[0] && done[1] && done[2]); i++) {
    if (i > 0) {
      logC += Math.log(Math.abs(order - i + 1)) - Math.log(i);
      if (order - i + 1 < 0) sign = sign === 1 ? -1 : 1;
    }
    const j = order - i;
    const cErr = 4 * EPS * i * Math.log(i + 2);
    const logA = logC + (order - i) * log1mQ + i * logQ; // log |a_i|
    const running = runPos > runNeg ? runPos + Math.log1p(-Math.exp(runNeg - runPos)) : -Infinity;
    const small = (l: number) => l <= running + Math.log(REL_TOL) || i >= MAX_TERMS;
    const check = i >= firstAlternating;
    if (!done[0] && i >= 2) {
      const c = (i * i - i) / (2 * s2);
      const left = logLeft(i);
      const l = logA + logExpm1(c) + left;
      sum.add(l, sign, logErr(logC, (order - i) * log1mQ, i * logQ, c, left) + cErr);
      track(l, sign);
      const bound = logAdd(logA + c + left, logA + left);
      if (check && small(bound)) {
        sum.add(bound, 1, 0);
        done[0] = true;
      }
    }
    if (!done[1]) {
      const e = (j * j - j) / (2 * s2);
      const right = logRight(j);
      const l = logC + j * logQ + i * log1mQ + e + right;
      sum.add(l, sign, logErr(logC, j * logQ, i * log1mQ, e, right) + cErr);
      track(l, sign);
      if (check && small(l)) {
        if (sign < 0) sum.add(l, 1, 0);
        done[1] = true;
      }
    }
    if (!done[2]) {
      const right = logRight(i);
      const l = logA + right;
      sum.add(l, sign > 0 ? -1 : 1, logErr(logC, (order - i) * log1mQ, i * logQ, right) + cErr);
      track(l, -sign);
      const bound = logA + logR - Math.log1p(-Math.exp(logR));
      if (check && small(bound)) {
        sum.add(bound, 1, 0);
        done[2] = true;
      }
    }
  }
  return sum.upperLog();
}

/**
 * RDP at `order` (> 1) of one Poisson-sampled Gaussian step: sampling probability `q` in (0, 1], noise
 * multiplier `sigma` > 0, add_or_remove_one neighbours, L2 sensitivity 1. Never below the exact value.
 * @example poissonSampledGaussianRdp(0.01, 1.1, 2) // 1.2578e-4 (approximately)
 */
export function poissonSampledGaussianRdp(q: number, sigma: number, order: number): number {
  if (q === 1) return order / (2 * sigma * sigma); // plain Gaussian (Mironov 2017, Prop. 7)
  if (Number.isInteger(order)) return rdpFromLogD(logDInteger(q, sigma, order), order);
  return sandwich(q, sigma, order, fractionalSeriesRdp(q, sigma, order));
}

/**
 * The fractional-order series alone (q < 1, non-integer order), before the clamp between integer orders: what
 * the tests hold against the integer-order sums, since the clamp would hide a series that went wrong.
 * @example fractionalSeriesRdp(0.01, 1.1, 2.5)
 */
export function fractionalSeriesRdp(q: number, sigma: number, order: number): number {
  return rdpFromLogD(q < 0.25 ? logDFractionalSmallQ(q, sigma, order) : logDFractional(q, sigma, order), order);
}

/**
 * Clamps an upper bound at a fractional order between the integer-order bounds around it. RDP is non-decreasing
 * in the order (Mironov 2017, Prop. 10; van Erven & Harremoes 2014, Thm 3), so the bound at ceil(a) is an upper
 * bound at a too (the min is sound), and raising a value never makes an upper bound unsound (the max). Each
 * side's rounding margin differs, so without this an order just above n could print below order n.
 */
function sandwich(q: number, sigma: number, order: number, fractional: number): number {
  if (order > MAX_TERMS) return fractional; // the integer sums would cost `order` terms each
  const lo = Math.floor(order);
  const hi = Math.ceil(order);
  const atHi = rdpFromLogD(logDInteger(q, sigma, hi), hi);
  const atLo = lo >= 2 ? rdpFromLogD(logDInteger(q, sigma, lo), lo) : 0;
  return Math.min(atHi, Math.max(fractional, atLo));
}
