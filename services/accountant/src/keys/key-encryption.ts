/**
 * Signing keys encrypted at rest: with DPLEDGER_KEY_ENCRYPTION_KEY set (32 bytes, as 64 hex digits or base64), each
 * private key is stored sealed with AES-256-GCM (NIST SP 800-38D: a fresh 96-bit IV per key, 128-bit tag) and its kid
 * as associated data, so a sealed key cannot be moved to another row. Without it, keys are stored as PKCS#8 PEM.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { StartupError } from '../errors.js';

const PREFIX = 'dpledger-sealed:v1:';

/**
 * Parses the key-encryption key; undefined when unset or empty.
 * @example const kek = parseKeyEncryptionKey(process.env['DPLEDGER_KEY_ENCRYPTION_KEY'])
 */
export function parseKeyEncryptionKey(value: string | undefined): Buffer | undefined {
  if (value === undefined || value === '') return undefined;
  const bytes = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (bytes.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(value) && bytes.toString('base64') !== value)) {
    throw new StartupError(
      'invalid_config',
      'DPLEDGER_KEY_ENCRYPTION_KEY must be 32 bytes: 64 hex digits or 44 base64 characters (e.g. openssl rand -hex 32)',
    );
  }
  return bytes;
}

/**
 * Seals a private key PEM for storage (or returns it unchanged without a key-encryption key).
 * @example const stored = sealPrivateKey(pem, key.kid, kek)
 */
export function sealPrivateKey(pem: string, kid: string, kek: Buffer | undefined): string {
  if (kek === undefined) return pem;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const body = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

/**
 * The PEM of a stored private key. A sealed key needs the key-encryption key it was sealed with; a PEM stored before
 * one was set is read as it is.
 * @example const pem = openPrivateKey(row.private_pem, row.kid, kek)
 */
export function openPrivateKey(stored: string, kid: string, kek: Buffer | undefined): string {
  if (!stored.startsWith(PREFIX)) return stored;
  if (kek === undefined) {
    throw new StartupError('invalid_config', `signing key ${kid} is encrypted: set DPLEDGER_KEY_ENCRYPTION_KEY`);
  }
  const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', kek, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(kid, 'utf8'));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new StartupError('invalid_config', `signing key ${kid} does not open with this DPLEDGER_KEY_ENCRYPTION_KEY`);
  }
}

/** Whether a stored private key is sealed. */
export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}
