/** Geometry of the epsilon-versus-step plot, shared by the SVG (HTML) and the pdfkit (PDF) drawings. */
import type { EpsilonCurve } from './epsilon-curve.js';

export interface PlotGeometry {
  width: number;
  height: number;
  /** The plotting area inside the axes. */
  area: { left: number; top: number; right: number; bottom: number };
  /** The curve in drawing coordinates (y grows downwards). */
  line: [number, number][];
  xTicks: { at: number; label: string }[];
  yTicks: { at: number; label: string }[];
  /** The budget limit's y, or null when it is above the plotted range. */
  limitY: number | null;
}

/** 1, 2 or 5 times a power of ten, so that about `count` steps cover `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
}

function ticks(max: number, count: number): number[] {
  const step = niceStep(max, count);
  return Array.from({ length: Math.floor(max / step + 1e-9) + 1 }, (_, i) => Number((i * step).toPrecision(6)));
}

/**
 * Scales a curve into a width x height box with room for tick labels; the y range covers the curve and,
 * when it is at most 3 times the final epsilon, the budget limit.
 * @example plotGeometry(curve, 3, 640, 280).line.length === curve.points.length // true
 */
export function plotGeometry(curve: EpsilonCurve, limit: number, width: number, height: number): PlotGeometry {
  const area = { left: 52, top: 12, right: width - 16, bottom: height - 40 };
  const last = curve.points.at(-1)?.[1] ?? 0;
  const showLimit = limit <= 3 * Math.max(last, 1e-12);
  const yMaxRaw = Math.max(last, showLimit ? limit : 0, 1e-6) * 1.08;
  const xMaxRaw = Math.max(curve.totalSteps, 1);
  const yTickValues = ticks(yMaxRaw, 5);
  const xTickValues = ticks(xMaxRaw, 6);
  const yMax = Math.max(yMaxRaw, yTickValues.at(-1)!);
  const xMax = Math.max(xMaxRaw, xTickValues.at(-1)!);
  const sx = (x: number): number => area.left + (x / xMax) * (area.right - area.left);
  const sy = (y: number): number => area.bottom - (y / yMax) * (area.bottom - area.top);
  return {
    width,
    height,
    area,
    line: curve.points.map(([x, y]) => [sx(x), sy(y)]),
    xTicks: xTickValues.map((v) => ({ at: sx(v), label: v.toLocaleString('en-US') })),
    yTicks: yTickValues.map((v) => ({ at: sy(v), label: String(v) })),
    limitY: showLimit ? sy(limit) : null,
  };
}
