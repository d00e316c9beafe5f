/** RDP curves of the un-sampled mechanisms, per order a > 1. */

/**
 * Gaussian mechanism with noise multiplier sigma (L2 sensitivity 1): RDP(a) = a / (2 sigma^2) (Mironov 2017, Prop. 7).
 * @example gaussianRdp(1, 2) // 1
 */
export function gaussianRdp(sigma: number, order: number): number {
  return order / (2 * sigma * sigma);
}

/**
 * Laplace mechanism with scale b = noise multiplier (L1 sensitivity 1), Mironov 2017, Prop. 6:
 * RDP(a) = log( a/(2a-1) e^{(a-1)/b} + (a-1)/(2a-1) e^{-a/b} ) / (a - 1), evaluated in log space.
 * @example laplaceRdp(1, 2) // log(2/3 e + 1/3 e^-2) ~ 0.6218
 */
export function laplaceRdp(b: number, order: number): number {
  const a = order;
  const x = Math.log(a / (2 * a - 1)) + (a - 1) / b;
  const y = Math.log((a - 1) / (2 * a - 1)) - a / b;
  const m = Math.max(x, y);
  return Math.min(1 / b, (m + Math.log1p(Math.exp(Math.min(x, y) - m))) / (a - 1)); // also <= pure eps = 1/b
}

/**
 * (xi, rho)-zCDP: RDP(a) <= xi + rho a (Bun & Steinke 2016, Def. 1.1).
 * @example zcdpRdp(0.5, 0, 3) // 1.5
 */
export function zcdpRdp(rho: number, xi: number, order: number): number {
  return xi + rho * order;
}

/**
 * Pure epsilon-DP: RDP(a) <= min(eps, a eps^2 / 2) (D_a <= D_inf = eps; eps-DP implies eps^2/2-zCDP,
 * Bun & Steinke 2016, Prop. 3.3).
 * @example pureDpRdp(1, 2) // 1
 */
export function pureDpRdp(epsilon: number, order: number): number {
  return Math.min(epsilon, (order * epsilon * epsilon) / 2);
}
