/** Random identifiers and secrets (node:crypto; 96 bits for ids, 256 bits for API key secrets). */
import { randomBytes } from 'node:crypto';

/**
 * A new random id with a type prefix.
 * @example newId('run') // 'run_Xy3...'
 */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

/** A new high-entropy secret (base64url of 32 random bytes). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * SHA-256 hex (API keys carry 256 random bits, so a plain hash stores them safely): @dpledger/audit's, the one copy.
 */
export { sha256Hex } from '@dpledger/audit';
