/** Strict base64 (RFC 4648 section 4) and base64url (section 5) decoding; DSSE verifiers must accept both. */
import { AuditError } from './errors.js';

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Decodes standard or URL-safe base64, with or without padding, and rejects anything else: characters outside
 * one alphabet, a bad length, misplaced padding or non-zero trailing bits (so each byte string has one encoding
 * per alphabet and a changed character never decodes to the same bytes).
 * @example decodeBase64Strict('aGVsbG8gd29ybGQ=', 'payload').toString() // 'hello world'
 */
export function decodeBase64Strict(text: string, what: string): Buffer {
  const urlSafe = !STANDARD.test(text);
  if (urlSafe && !URL_SAFE.test(text)) throw new AuditError('bad_envelope', `${what} is not base64`);
  const bare = text.replace(/=+$/, '');
  if (bare.length % 4 === 1 || (text.length !== bare.length && text.length % 4 !== 0)) {
    throw new AuditError('bad_envelope', `${what} has a bad base64 length or padding`);
  }
  const bytes = Buffer.from(bare, urlSafe ? 'base64url' : 'base64');
  const again = bytes.toString(urlSafe ? 'base64url' : 'base64').replace(/=+$/, '');
  if (again !== bare) throw new AuditError('bad_envelope', `${what} is not canonical base64`);
  return bytes;
}

/**
 * Base64url without padding (RFC 4648 section 5), as JWK members use (RFC 7515 section 2).
 * @example base64url(Buffer.from([0xfb, 0xff])) // '-_8'
 */
export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}
