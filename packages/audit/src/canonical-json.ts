/** RFC 8785 JSON Canonicalization Scheme (JCS). */
import { AuditError } from './errors.js';

/**
 * Serializes `value` per RFC 8785: no whitespace, object members sorted by the UTF-16 code units of their
 * names (RFC 8785 3.2.3), numbers as ECMAScript Number.prototype.toString (RFC 8785 3.2.2.3), strings with
 * JSON.stringify's minimal escaping (RFC 8785 3.2.2.2 is ECMAScript's QuoteJSONString). NaN and the
 * infinities are not JSON (RFC 8785 3.2.2.3) and throw; so do lone surrogates (I-JSON, RFC 7493 2.1),
 * undefined, functions, symbols and bigints.
 * @example canonicalJson({ b: 1, a: [true, 1e21] }) // '{"a":[true,1e+21],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out, []);
  return out.join('');
}

// The JSON pointer (RFC 6901) of the value being written; built only for an error message.
const pointerOf = (path: (string | number)[]): string =>
  path.length === 0 ? '/' : path.map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

// A lone surrogate cannot be encoded as UTF-8; I-JSON (RFC 7493 2.1) forbids it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function writeString(s: string, out: string[], path: (string | number)[]): void {
  if (LONE_SURROGATE.test(s)) throw new AuditError('bad_payload', `lone surrogate in a string at '${pointerOf(path)}'`);
  out.push(JSON.stringify(s));
}

function write(value: unknown, out: string[], path: (string | number)[]): void {
  if (value === null) {
    out.push('null');
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AuditError('bad_payload', `non-finite number at '${pointerOf(path)}'`);
    out.push(Object.is(value, -0) ? '0' : String(value)); // RFC 8785 3.2.2.3: ECMAScript Number::toString, -0 as 0
  } else if (typeof value === 'string') {
    writeString(value, out, path);
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      path.push(i);
      write(item, out, path);
      path.pop();
    });
    out.push(']');
  } else if (
    typeof value === 'object' &&
    Object.getPrototypeOf(value) !== null &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    write((value as { toJSON: () => unknown }).toJSON(), out, path);
  } else if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    // Default sort compares UTF-16 code units, exactly RFC 8785 3.2.3's order; undefined members are omitted as in
    // JSON.
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    out.push('{');
    keys.forEach((k, i) => {
      if (i > 0) out.push(',');
      writeString(k, out, path);
      out.push(':');
      path.push(k);
      write(obj[k], out, path);
      path.pop();
    });
    out.push('}');
  } else {
    throw new AuditError('bad_payload', `a ${typeof value} is not JSON at '${pointerOf(path)}'`);
  }
}
