/** Inline SVG charts for the dashboard: an epsilon-versus-step curve and a spent/limit gauge. */
import { html, type SafeHtml } from './html.js';
import { fmtNumber } from './layout.js';

/** One point of an epsilon-versus-step curve. */
export interface CurvePoint {
  step: number;
  epsilon: number;
}

const W = 560;
const H = 220;
const PAD = { left: 52, right: 16, top: 14, bottom: 36 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;
const MID_X = (PAD.left + W - PAD.right) / 2;
const MID_Y = (PAD.top + H - PAD.bottom) / 2;

/** An inline <svg> start tag of the given class, accessible label and size. */
function svgStart(cls: string, label: string, w: number, h: number): SafeHtml {
  const size = html`viewBox="0 0 ${w} ${h}" width="${w}" height="${h}"`;
  return html`<svg class="${cls}" role="img" aria-label="${label}" ${size} xmlns="http://www.w3.org/2000/svg">`;
}

/**
 * An axis tick's label: the position of a gridline, not a privacy figure, so to nearest (3 significant digits). Every
 * epsilon the dashboard states goes through fmtNumber (formatEpsilon, rounded up).
 */
function tick(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(3);
}

/**
 * Draws epsilon against step as an inline SVG line chart, with the budget limit as a dashed line when given.
 * @example epsilonCurveSvg([{ step: 0, epsilon: 0 }, { step: 10, epsilon: 0.4 }], { limit: 3 })
 */
export function epsilonCurveSvg(
  points: readonly CurvePoint[],
  opts: { limit?: number; title?: string } = {},
): SafeHtml {
  const finite = points.filter((p) => Number.isFinite(p.epsilon));
  const maxStep = Math.max(1, ...finite.map((p) => p.step));
  const top = Math.max(opts.limit ?? 0, ...finite.map((p) => p.epsilon), 1e-9) * 1.05;
  const x = (s: number): number => PAD.left + (s / maxStep) * (W - PAD.left - PAD.right);
  const y = (e: number): number => H - PAD.bottom - (e / top) * (H - PAD.top - PAD.bottom);
  const path = finite
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.step).toFixed(1)},${y(p.epsilon).toFixed(1)}`)
    .join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const title = opts.title ?? 'epsilon versus step';
  const tickLabels = ticks.map((t) => {
    const ey = (y(t * top) + 4).toFixed(1);
    const sx = x(t * maxStep).toFixed(1);
    return html`<text x="${PAD.left - 6}" y="${ey}" text-anchor="end" font-size="11">${tick(t * top)}</text>
<text x="${sx}" y="${H - PAD.bottom + 16}" text-anchor="middle" font-size="11">${tick(Math.round(t * maxStep))}</text>
`;
  });
  const limit = opts.limit === undefined ? '' : limitMark(opts.limit, y(opts.limit));
  const curve =
    finite.length > 0
      ? html`<path class="eps" d="${path}" fill="none" stroke="#1f6feb" stroke-width="2"/>`
      : html`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="12">no events yet</text>`;
  return html`${svgStart('curve', title, W, H)}
<title>${title}</title>
<rect x="${PAD.left}" y="${PAD.top}" width="${PLOT_W}" height="${PLOT_H}" fill="#fafafa" stroke="#ccc"/>
${tickLabels}
${limit}
${curve}
<text x="${MID_X}" y="${H - 4}" text-anchor="middle" font-size="12">step (mechanism invocations)</text>
<text x="12" y="${MID_Y}" transform="rotate(-90 12 ${MID_Y})" text-anchor="middle" font-size="12">epsilon</text>
</svg>`;
}

/** The budget limit as a dashed line at height `ly`, labelled with the limit. */
function limitMark(limit: number, ly: number): SafeHtml {
  const x2 = W - PAD.right;
  const at = ly.toFixed(1);
  const labelY = (ly - 4).toFixed(1);
  const ends = html`x1="${PAD.left}" x2="${x2}" y1="${at}" y2="${at}"`;
  return html`<line class="limit" ${ends} stroke="#c0392b" stroke-dasharray="6 4"/>
<text x="${x2 - 4}" y="${labelY}" text-anchor="end" font-size="11" fill="#c0392b">budget ${fmtNumber(limit)}</text>`;
}

/**
 * A horizontal gauge of spent (and reserved) epsilon against a budget limit.
 * @example gaugeSvg({ spent: 1.2, reserved: 1.5, limit: 3 })
 */
export function gaugeSvg(v: { spent: number; reserved?: number; limit: number }): SafeHtml {
  const gw = 240;
  const frac = (e: number): number => Math.max(0, Math.min(1, v.limit > 0 ? e / v.limit : 1));
  const spentW = frac(v.spent) * gw;
  const resW = frac(v.reserved ?? v.spent) * gw;
  const color = frac(v.spent) >= 0.9 ? '#c0392b' : frac(v.spent) >= 0.6 ? '#d68910' : '#1e8449';
  const pct = Math.ceil(frac(v.spent) * 100 - 1e-9); // a share of the budget spent: rounded up
  const bar = (w: number | string, fill: string): SafeHtml =>
    html`<rect width="${w}" height="14" rx="3" fill="${fill}"/>`;
  return html`${svgStart('gauge', `${pct}% of the budget spent`, gw, 14)}
${bar(gw, '#e5e5e5')}${bar(resW.toFixed(1), '#f5cba7')}${bar(spentW.toFixed(1), color)}
</svg>`;
}
