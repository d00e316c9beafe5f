/**
 * HTML escaping for text and attribute values (HTML Living Standard 13.1.4: escape & < > " '), plus the backtick,
 * which old IE treated as an attribute quote. The one copy: the compliance report and the dashboard both use it.
 */
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/**
 * Escapes a string for use as element text or a quoted attribute value.
 * @example escapeHtml('<b onclick="x">') // '&lt;b onclick=&quot;x&quot;&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);
}
