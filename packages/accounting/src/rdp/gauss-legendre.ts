/** Gauss-Legendre quadrature nodes and weights, computed by Newton's method on P_n (Golub-Welsch-free classic). */

/** Nodes x_k and weights w_k of the n-point rule on [-1, 1]. @example gaussLegendre(2) // x = +-1/sqrt(3), w = 1 */
export function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let z = Math.cos((Math.PI * (k + 0.75)) / (n + 0.5)); // Tricomi's initial guess for the k-th root
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = z;
      for (let j = 2; j <= n; j++) {
        const p2 = ((2 * j - 1) * z * p1 - (j - 1) * p0) / j; // Bonnet's recursion
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1); // P_n'(z)
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    x[k] = z;
    w[k] = 2 / ((1 - z * z) * dp * dp); // Abramowitz & Stegun 25.4.29
  }
  return { x, w };
}

const RULE = gaussLegendre(20);

/**
 * Integral of f over [a, b] by composite 20-point Gauss-Legendre on `panels` equal panels.
 * @example integrate((x) => x * x, 0, 1, 1) // 1/3
 */
export function integrate(f: (x: number) => number, a: number, b: number, panels: number): number {
  const h = (b - a) / panels;
  let total = 0;
  for (let p = 0; p < panels; p++) {
    const mid = a + (p + 0.5) * h;
    let s = 0;
    for (let k = 0; k < RULE.x.length; k++) s += RULE.w[k]! * f(mid + (h / 2) * RULE.x[k]!);
    total += (s * h) / 2;
  }
  return total;
}

/**
 * log of the integral of exp(logF) over [a, b] (composite 20-point Gauss-Legendre, `panels` equal panels),
 * scaled by the largest sample so that huge or tiny integrands neither overflow nor underflow.
 * @example Math.exp(integrateLog((x) => 2 * Math.log(x), 0, 1, 1)) // 1/3
 */
export function integrateLog(logF: (x: number) => number, a: number, b: number, panels: number): number {
  const h = (b - a) / panels;
  const n = RULE.x.length;
  const logs = new Float64Array(panels * n);
  let max = -Infinity;
  for (let p = 0; p < panels; p++) {
    const mid = a + (p + 0.5) * h;
    for (let k = 0; k < n; k++) {
      const l = logF(mid + (h / 2) * RULE.x[k]!);
      logs[p * n + k] = l;
      if (l > max) max = l;
    }
  }
  if (max === -Infinity || Number.isNaN(max)) return max;
  let total = 0;
  for (let i = 0; i < logs.length; i++) total += RULE.w[i % n]! * Math.exp(logs[i]! - max);
  return max + Math.log((total * h) / 2);
}
