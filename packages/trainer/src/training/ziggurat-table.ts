/**
 * The layer table of the Ziggurat method for the standard normal (Marsaglia & Tsang 2000, "The Ziggurat Method for
 * Generating Random Variables", J. Stat. Softw. 5(8)), 256 layers, built once at load from the paper's constants.
 *
 * Under f(x) = exp(-x^2 / 2) (the unnormalised density on x >= 0), layer i (1 <= i < 256) is the rectangle
 * [0, x[i]] x [f(x[i]), f(x[i+1])] and layer 0 is [0, r] x [0, f(r)] plus the tail x > r; every layer has area v.
 * x[0] = v / f(r) is the base layer's virtual width, so a uniform point beyond x[1] = r in it falls in the tail.
 */

/** Number of layers (a power of two: the layer index is 8 random bits). */
export const ZIGGURAT_LAYERS = 256;
/** Right edge of the base rectangle, where the tail starts (Marsaglia & Tsang 2000, 256-layer normal). */
export const ZIGGURAT_R = 3.6541528853610088;
/** Common area of every layer (Marsaglia & Tsang 2000, 256-layer normal). */
export const ZIGGURAT_V = 0.00492867323399;

/** The layer table: `x[i]` right edges (x[256] = 0) and `f[i] = exp(-x[i]^2 / 2)`. */
export interface ZigguratTable {
  readonly x: Float64Array;
  readonly f: Float64Array;
}

/**
 * Builds the table by the recursion x[i+1] = f^-1(v / x[i] + f(x[i])), which makes each layer's area v.
 * @example const { x } = buildZigguratTable(); x[1] // 3.654...
 */
export function buildZigguratTable(): ZigguratTable {
  const n = ZIGGURAT_LAYERS;
  const x = new Float64Array(n + 1);
  const f = new Float64Array(n + 1);
  const fr = Math.exp(-0.5 * ZIGGURAT_R * ZIGGURAT_R);
  x[0] = ZIGGURAT_V / fr;
  x[1] = ZIGGURAT_R;
  for (let i = 1; i < n - 1; i++) {
    // area of layer i: x[i] * (f(x[i+1]) - f(x[i])) = v (Marsaglia & Tsang 2000, section 2)
    x[i + 1] = Math.sqrt(-2 * Math.log(ZIGGURAT_V / x[i]! + Math.exp(-0.5 * x[i]! * x[i]!)));
  }
  x[n] = 0; // the top layer [0, x[255]] x [f(x[255]), 1] has no fully-inside part: every point goes to the wedge test
  for (let i = 0; i <= n; i++) f[i] = Math.exp(-0.5 * x[i]! * x[i]!);
  f[0] = 0; // the base layer's floor (its virtual width x[0] is only used to size the tail share)
  return { x, f };
}
