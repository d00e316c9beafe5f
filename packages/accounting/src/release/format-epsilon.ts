/**
 * Epsilon for people to read. A privacy loss is shown rounded UP (never below what was spent); a remaining budget
 * is shown rounded DOWN (never above what is left). Rounding to nearest (toFixed, toPrecision) can do either.
 */

/**
 * How to print: `decimals` places, or `significant` digits (in exponent notation with `exponential`);
 * `direction` 'up' (default) or 'down'.
 */
export interface EpsilonFormat {
  decimals?: number;
  significant?: number;
  exponential?: boolean;
  direction?: 'up' | 'down';
}

/**
 * `x` rounded up (or down) to a number of decimals (a plain number) or of significant digits.
 * @example formatEpsilon(2.99981, 3) // '3.000'
 * @example formatEpsilon(0.7951, 3) // '0.796'
 * @example formatEpsilon(1.23451, { significant: 4 }) // '1.235'
 * @example formatEpsilon(0.4999, { decimals: 2, direction: 'down' }) // '0.49'
 * @example formatEpsilon(1.2341e-5, { significant: 3, exponential: true }) // '1.24e-5'
 */
export function formatEpsilon(x: number, format: number | EpsilonFormat = 3): string {
  const f: EpsilonFormat = typeof format === 'number' ? { decimals: format } : format;
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  const up = f.direction !== 'down';
  if (f.significant !== undefined) {
    if (x === 0) return '0';
    // m places after the decimal point keep `significant` digits of |x|
    const m = f.significant - 1 - Math.floor(Math.log10(Math.abs(x)));
    // also exponential when 10^m would lose the digits
    if (f.exponential === true || Math.abs(m) > 20) return exponential(x, f.significant, up);
    const k = steps(x, m, up);
    return String(m >= 0 ? k / 10 ** m : k * 10 ** -m);
  }
  const d = f.decimals ?? 3;
  return (steps(x, d, up) / 10 ** d).toFixed(d);
}

/** The integer k with k / 10^m the closest decimal at or above (below) x, checked in floating point. */
function steps(x: number, m: number, up: boolean): number {
  const scale = (k: number) => (m >= 0 ? k / 10 ** m : k * 10 ** -m);
  const scaled = m >= 0 ? x * 10 ** m : x / 10 ** -m;
  let k = up ? Math.ceil(scaled) : Math.floor(scaled);
  // x * 10^m is itself rounded: step back while the neighbouring decimal still lies on the safe side of x
  if (up) while (scale(k - 1) >= x) k--;
  else while (scale(k + 1) <= x) k++;
  // and forward while the float product landed on the wrong side
  if (up) while (scale(k) < x) k++;
  else while (scale(k) > x) k--;
  return k;
}

/**
 * Far from 1: `significant` digits in exponent notation, nudged by one unit of the last digit when on the wrong side.
 */
function exponential(x: number, significant: number, up: boolean): string {
  const text = x.toExponential(significant - 1);
  if (up ? Number(text) >= x : Number(text) <= x) return text;
  const [mantissa, exponent] = text.split('e') as [string, string];
  const digits = mantissa.replace('.', '').replace('-', '');
  const k = BigInt(digits) + (up === x > 0 ? 1n : -1n);
  const body = k.toString();
  const sign = x < 0 ? '-' : '';
  // a carry (9.99 -> 10.00) adds a digit: shift it into the exponent
  const e = Number(exponent) + (body.length - digits.length);
  return `${sign}${body[0]}${significant > 1 ? `.${body.slice(1, significant)}` : ''}e${e >= 0 ? '+' : ''}${e}`;
}
