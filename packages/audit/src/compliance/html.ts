/** The compliance report as one self-contained HTML page: inline CSS and SVG, no scripts, no external fetches. */
import type { CheckStatus } from './checks.js';
import { reportContent, type Block } from './content.js';
import { escapeHtml as e } from './escape-html.js';
import { buildComplianceModel, type ComplianceModel, type ReportRenderInput } from './model.js';
import { plotGeometry } from './plot.js';

const COLORS: Record<CheckStatus, string> = { pass: '#1a7f37', fail: '#cf222e', warn: '#9a6700', skip: '#6e7781' };

// The inline stylesheet: a leading newline, then these lines joined by newlines (none at the end).
const CSS = [
  '',
  'body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;' +
    'max-width:60rem;margin:2rem auto;padding:0 1rem}',
  'h1{font-size:1.6rem;margin:0 0 .5rem}' +
    'h2{font-size:1.15rem;margin:1.8rem 0 .5rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}',
  '.verdict{display:inline-block;padding:.3rem .8rem;border-radius:6px;color:#fff;font-weight:600}',
  '.ok{background:#1a7f37}.bad{background:#cf222e}',
  'table{border-collapse:collapse;width:100%;margin:.4rem 0}' +
    'th,td{border:1px solid #d0d7de;padding:.35rem .55rem;text-align:left;vertical-align:top}',
  'th{background:#f6f8fa}td{overflow-wrap:anywhere}.status{font-weight:700;white-space:nowrap}',
  'figure{margin:.5rem 0}figcaption{color:#57606a;font-size:.9rem}' +
    'svg text{font:11px system-ui,sans-serif;fill:#57606a}svg{max-width:100%;height:auto}',
  '@media print{body{margin:0}}',
].join('\n');

function svgPlot(m: ComplianceModel): string {
  const g = plotGeometry(m.curve, m.predicate.budget.epsilon, 720, 300);
  const { left, top, right, bottom } = g.area;
  const grid = [
    ...g.yTicks.map(
      (t) =>
        `<line x1="${left}" y1="${t.at}" x2="${right}" y2="${t.at}" stroke="#eaeef2"/>` +
        `<text x="${left - 6}" y="${t.at + 4}" text-anchor="end">${e(t.label)}</text>`,
    ),
    ...g.xTicks.map(
      (t) =>
        `<line x1="${t.at}" y1="${bottom}" x2="${t.at}" y2="${bottom + 4}" stroke="#57606a"/>` +
        `<text x="${t.at}" y="${bottom + 16}" text-anchor="middle">${e(t.label)}</text>`,
    ),
  ].join('');
  const limit =
    g.limitY === null
      ? ''
      : `<line x1="${left}" y1="${g.limitY}" x2="${right}" y2="${g.limitY}" stroke="#cf222e" stroke-dasharray="6 4"/>` +
        `<text x="${right}" y="${g.limitY - 4}" text-anchor="end">` +
        `budget limit ε = ${e(String(m.predicate.budget.epsilon))}</text>`;
  const line = g.line.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${g.width}" height="${g.height}" ` +
    `viewBox="0 0 ${g.width} ${g.height}" role="img" aria-label="epsilon versus step">` +
    grid +
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#57606a"/>` +
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#57606a"/>` +
    limit +
    `<polyline fill="none" stroke="#0969da" stroke-width="2" points="${line}"/>` +
    `<text x="${(left + right) / 2}" y="${g.height - 4}" text-anchor="middle">step</text>` +
    `<text x="12" y="${(top + bottom) / 2}" text-anchor="middle" transform="rotate(-90 12 ${(top + bottom) / 2})">` +
    'ε</text></svg>'
  );
}

function block(b: Block, m: ComplianceModel): string {
  switch (b.kind) {
    case 'title':
      return (
        `<h1>${e(b.text)}</h1>` +
        `<p><span class="verdict ${b.verified ? 'ok' : 'bad'}" data-verified="${b.verified}">${e(b.verdict)}</span></p>`
      );
    case 'heading':
      return `<h2>${e(b.text)}</h2>`;
    case 'paragraph':
      return `<p>${e(b.text)}</p>`;
    case 'bar': {
      const frac = b.limit > 0 ? Math.min(1, Math.max(0, b.value / b.limit)) : 1;
      const fill = frac >= 1 ? '#cf222e' : '#0969da';
      return (
        `<p>${e(b.label)}</p>` +
        '<svg xmlns="http://www.w3.org/2000/svg" width="720" height="22" role="img" aria-label="budget spent">' +
        '<rect x="0" y="2" width="720" height="18" rx="4" fill="#eaeef2"/>' +
        `<rect x="0" y="2" width="${(720 * frac).toFixed(1)}" height="18" rx="4" fill="${fill}"/></svg>`
      );
    }
    case 'plot': {
      const plot = m.curve.unavailable === null ? svgPlot(m) : '';
      return `<figure>${plot}<figcaption>${e(b.caption)}</figcaption></figure>`;
    }
    case 'table': {
      const head = `<tr>${b.head.map((h) => `<th>${e(h)}</th>`).join('')}</tr>`;
      const rows = b.rows
        .map((r, i) => {
          const st = b.status?.[i];
          const cell = (c: string, j: number) =>
            st && j === 1 ? `<td class="status" style="color:${COLORS[st]}">${e(c)}</td>` : `<td>${e(c)}</td>`;
          return `<tr${st ? ` class="check-${st}"` : ''}>${r.map(cell).join('')}</tr>`;
        })
        .join('');
      return `<table>${head}${rows}</table>`;
    }
  }
}

/**
 * Renders the compliance report page. Every string from the report is escaped; the page has no script and
 * loads nothing (a Content-Security-Policy meta tag forbids it).
 * @example fs.writeFileSync('report.html', renderReportHtml({ envelope, keys: [jwk], events }))
 */
export function renderReportHtml(input: ReportRenderInput): string {
  const m = buildComplianceModel(input);
  const body = reportContent(m)
    .map((b) => block(b, m))
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(`Privacy report: ${m.predicate.run.name}`)}</title><style>${CSS}</style></head>
<body>
${body}
</body></html>
`;
}
