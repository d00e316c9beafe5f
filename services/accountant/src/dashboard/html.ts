/** Escaping HTML builder for the dashboard: every interpolated value is escaped unless it is already `SafeHtml`. */
import { escapeHtml } from '@dpledger/audit';

/** A fragment of HTML that is already escaped (built by `html` or `raw`). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = SafeHtml | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof SafeHtml) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

/**
 * Tagged template that escapes every interpolation (arrays are joined, null/undefined/false render nothing).
 * @example html`<td>${'<script>'}</td>`.value // '<td>&lt;script&gt;</td>'
 */
export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

/**
 * Marks a string produced by trusted code (e.g. an SVG this module drew from numbers) as HTML.
 * @example raw('<br>').value // '<br>'
 */
export function raw(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}
