/** SHA-256 helpers (FIPS 180-4) over node:crypto. */
import { createHash } from 'node:crypto';

/**
 * Lower-case hex SHA-256 of bytes, or of a string's UTF-8 encoding.
 * @example sha256Hex('abc') // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Raw SHA-256 of the concatenation of `parts`.
 * @example sha256(Buffer.from('a'), Buffer.from('bc')).equals(sha256(Buffer.from('abc'))) // true
 */
export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}
