/**
 * RDP of the Gaussian mechanism on a uniformly random subset of m out of n records (sampling without
 * replacement), under replace_one neighbours: Wang, Balle, Kasiviswanathan 2019 ("Subsampled Renyi Differential
 * Privacy and Analytical Moments Accountant", arXiv:1808.00087), Theorem 9 with eps(inf) = inf.
 */
import { SignedLogSum, logExpm1 } from './log-math.js';

/**
 * Upper bound on RDP at `order` (> 1) with sampling ratio q = m/n in (0, 1] and noise multiplier sigma
 * (relative to the replace_one sensitivity). Integer a (WBK19 Thm. 9, eps(j) = j/(2 sigma^2)):
 * (a-1) RDP <= log(1 + q^2 C(a,2) min(4(e^{eps(2)}-1), 2 e^{eps(2)}) + sum_{j=3}^{a} 2 q^j C(a,j) e^{(j-1) eps(j)});
 * fractional a interpolates (a-1) RDP linearly between the neighbouring integers (WBK19 Cor. 10: it is convex).
 * Capped by the un-sampled Gaussian a/(2 sigma^2) (subsampling never hurts, by joint convexity).
 * @example sampledWithoutReplacementGaussianRdp(0.01, 1, 2) // log(1 + 1e-4 * 2e) ~ 5.4e-4
 */
export function sampledWithoutReplacementGaussianRdp(q: number, sigma: number, order: number): number {
  const plain = order / (2 * sigma * sigma); // Mironov 2017, Prop. 7
  if (q === 1) return plain;
  const lo = Math.floor(order);
  const hi = Math.ceil(order);
  const t = order - lo;
  const cgf = lo === hi ? logA(q, sigma, lo) : (1 - t) * logA(q, sigma, lo) + t * logA(q, sigma, hi);
  return Math.min(plain, cgf / (order - 1));
}

/** (a-1) times the WBK19 Thm. 9 bound at integer order a >= 1 (0 at a = 1), evaluated in log space. */
function logA(q: number, sigma: number, a: number): number {
  if (a <= 1) return 0;
  const s2 = sigma * sigma;
  const logQ = Math.log(q);
  const eps2 = 1 / s2; // eps(2) = 2 / (2 sigma^2)
  const sum = new SignedLogSum();
  let logC = Math.log(a); // log C(a, 1)
  for (let j = 2; j <= a; j++) {
    logC += Math.log(a - j + 1) - Math.log(j);
    const factor =
      j === 2 ? Math.min(Math.log(4) + logExpm1(eps2), Math.LN2 + eps2) : Math.LN2 + ((j - 1) * j) / (2 * s2);
    sum.add(j * logQ + logC + factor, 1, 1e-13);
  }
  const l = sum.upperLog(); // log of everything after the leading 1
  return l > 40 ? l + Math.log1p(Math.exp(-l)) : Math.log1p(Math.exp(l));
}
