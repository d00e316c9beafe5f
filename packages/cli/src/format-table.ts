/** Plain-text tables for CLI output: left-aligned text columns, right-aligned numeric ones. */
import { formatEpsilon } from '@dpledger/accounting';

/** A column: its header and whether its cells are right-aligned. */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/**
 * Renders rows under headers with two spaces between columns, ending in a newline.
 * @example formatTable([{ header: 'a' }, { header: 'b', align: 'right' }], [['x', '1.5']]) // "a  b\n-  ---\nx  1.5\n"
 */
export function formatTable(columns: Column[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (columns[i]?.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return (
    [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n'
  );
}

/**
 * A parameter the user gave (q, sigma, delta, a target) echoed back: up to `digits` significant digits to nearest,
 * 'inf' for Infinity (plain ASCII for terminals and scripts). Never for a privacy loss: that is formatUp, which is
 * @dpledger/accounting's formatEpsilon (rounded up). @example formatNumber(1.71177009) // '1.7118'
 */
export function formatNumber(x: number, digits = 5): string {
  if (x === Infinity) return 'inf';
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(digits)));
}

/**
 * `x` rounded UP to `digits` significant digits, for figures where rounding down would be unsafe to show
 * (an epsilon spent, a noise multiplier to use). @example formatUp(1.51537) // '1.5154'
 */
export function formatUp(x: number, digits = 5): string {
  if (!(x > 0) || !Number.isFinite(x)) return formatNumber(x, digits);
  return formatEpsilon(x, { significant: digits }); // exact decimals like 0.5 stay as they are
}
