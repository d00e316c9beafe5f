/**
 * The band part of the sampled-Gaussian RDP: D's share from [zL, zR] (see sampled-gaussian.ts), integrated
 * numerically in log space. The integrand N(0,s^2)(z) g(q (L(z) - 1)) is smooth and non-negative, so there is no
 * cancellation; 20 Gauss-Legendre nodes per sigma.
 */
import { integrateLog } from './gauss-legendre.js';

/**
 * log g(t), g(t) = (1+t)^a - 1 - a t >= 0 (Bernoulli), by its binomial series where cancellation would bite.
 * The series is used only while a|t| <= 1, where its terms shrink by (1 + |t| k)/(k + 1) <= 0.4 each; past that
 * it needs about a|t| terms (it was cut at 80, 1e-5 low at a = 790), and direct evaluation loses under 2 digits.
 */
function logBernoulliExcess(t: number, order: number): number {
  if (Math.abs(t) > 0.1 || order * Math.abs(t) > 1) {
    const l = order * Math.log1p(t);
    if (l < 700) return Math.log(Math.expm1(l) - order * t);
    return l + Math.log1p(-(1 + order * t) * Math.exp(-l)); // (1+t)^a dominates; no overflow
  }
  let term = (order * (order - 1) * t * t) / 2;
  let sum = term;
  for (let k = 2; k < 80 && Math.abs(term) > Math.abs(sum) * 1e-18; k++) {
    term *= (t * (order - k)) / (k + 1);
    sum += term;
  }
  return Math.log(sum);
}

/**
 * log of the band's share of D: int_{zL}^{zR} N(0,s^2)(z) g(q expm1((2z-1)/(2s^2))) dz, clipped to [-30 s, a + 30 s]
 * (beyond, the integrand is below e^-450 of its peak).
 * @example logBandIntegral(0.5, 100, 2.5, -3000, 3000) // log(D) of the whole line when the band covers it
 */
export function logBandIntegral(q: number, sigma: number, order: number, zL: number, zR: number): number {
  const a = Math.max(zL, -30 * sigma);
  const b = Math.min(zR, 30 * sigma + order);
  if (!(b > a)) return -Infinity;
  const s2 = sigma * sigma;
  const logNorm = -Math.log(sigma * Math.sqrt(2 * Math.PI));
  const logF = (z: number) =>
    logNorm - (z * z) / (2 * s2) + logBernoulliExcess(q * Math.expm1((2 * z - 1) / (2 * s2)), order);
  return integrateLog(logF, a, b, Math.max(4, Math.ceil((b - a) / sigma))); // 20 nodes per sigma
}
