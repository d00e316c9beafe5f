/** The dashboard's page shell: one inline stylesheet, no scripts, optional meta refresh. */
import { formatEpsilon } from '@dpledger/accounting';
import { html, raw, type SafeHtml } from './html.js';

// A backslash at a line's end continues it: the stylesheet's text has no line break there (keeps lines short).
const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:10px 24px;display:flex;align-items:center;gap:16px}
header a{color:#fff;text-decoration:none;font-weight:600}header .who{margin-left:auto;opacity:.85}
header form{margin:0}\
header button{background:none;border:1px solid #8c959f;color:#fff;border-radius:4px;padding:2px 10px;cursor:pointer}
main{max-width:1000px;margin:0 auto;padding:16px 24px}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 16px;margin:14px 0}
h1{font-size:20px;margin:8px 0}h2{font-size:16px;margin:4px 0 10px}
table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eaeef2;vertical-align:middle}
th{font-weight:600;color:#57606a}td.num{font-variant-numeric:tabular-nums}
.status{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px}
.ok{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#a40e26}.open{background:#ddf4ff;color:#0550ae}
.muted{color:#57606a}code{font-size:12px;word-break:break-all}
input[type=password]{width:100%;max-width:420px;padding:6px;font:inherit}button.primary{padding:6px 16px;font:inherit}
.error{color:#a40e26}
`;

/**
 * Wraps a page body in the dashboard's HTML document.
 * @example layout({ title: 'Runs', tenant: 'acme', body: html`<p>hi</p>` })
 */
export function layout(p: { title: string; body: SafeHtml; tenant?: string; refreshSeconds?: number }): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${p.refreshSeconds !== undefined ? html`<meta http-equiv="refresh" content="${p.refreshSeconds}">` : ''}
<title>${p.title} · dpledger</title><style>${raw(STYLE)}</style></head>
<body><header><a href="/">dpledger accountant</a>
${
  p.tenant !== undefined
    ? html`<span class="who">tenant <strong>${p.tenant}</strong></span>
<form method="post" action="/logout"><button type="submit">Log out</button></form>`
    : ''
}
</header><main>${p.body}</main></body></html>`.value;
}

/**
 * Formats an epsilon or delta for display with @dpledger/accounting's formatEpsilon: 4 significant digits rounded UP,
 * never below the true figure (3 in exponent notation far from 1; Infinity as ∞). A measured lower bound passes
 * 'down': it is never shown above what was measured.
 * @example fmtNumber(1.71101) // '1.712'
 * @example fmtNumber(1.71109, 'down') // '1.711'
 */
export function fmtNumber(n: number | undefined, direction: 'up' | 'down' = 'up'): string {
  if (n === undefined) return '–';
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '–';
  if (n !== 0 && (Math.abs(n) < 1e-3 || Math.abs(n) >= 1e6))
    return formatEpsilon(n, { significant: 3, exponential: true, direction });
  return formatEpsilon(n, { significant: 4, direction });
}
