/**
 * Run-scoped tokens (docs/design.md "Tokens"): a tenant mints one for an open run so that a browser can train against
 * the accountant without the tenant's API key. The token reserves, commits, audits and closes that run only
 * (http/guards.ts `requireRunToken`); it is stored as its SHA-256 and stops working at `expires_at`, or as soon
 * as the API key that minted it is revoked.
 */
import { ServiceError } from './errors.js';
import { newId, newSecret, sha256Hex } from './ids.js';
import type { Store } from './store/store.js';

/** Lifetime of a run token when the request names none, and the longest allowed (openapi.yaml RunTokenCreate). */
export const DEFAULT_RUN_TOKEN_TTL_SECONDS = 3600;
export const MAX_RUN_TOKEN_TTL_SECONDS = 86_400;
/** Prefix of the secret, so a leaked one is recognisable as a run token. */
export const RUN_TOKEN_PREFIX = 'dprt_';

export interface MintedRunToken {
  token: string;
  run_id: string;
  expires_at: string;
}

/**
 * Who mints a token: the tenant, and the API key behind the request (the key itself, or the key a dashboard session
 * was opened with). The token is refused once that key is revoked; without a key (a session from before schema
 * version 8) it lives until it expires.
 */
export interface RunTokenMinter {
  tenant: string;
  keyId?: string;
}

/**
 * Mints a token for `runId` of the minter's tenant; 404 when the tenant has no such run, 409 `run_closed` when it
 * is closed.
 * @example const { token } = await mintRunToken(store, () => new Date(), { tenant: 'acme', keyId: 'key_1' }, 'run_abc')
 */
export async function mintRunToken(
  store: Store,
  now: () => Date,
  minter: RunTokenMinter,
  runId: string,
  ttlSeconds = DEFAULT_RUN_TOKEN_TTL_SECONDS,
): Promise<MintedRunToken> {
  const { tenant } = minter;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60 || ttlSeconds > MAX_RUN_TOKEN_TTL_SECONDS) {
    const why = `ttl_seconds must be an integer in [60, ${MAX_RUN_TOKEN_TTL_SECONDS}]`;
    throw new ServiceError('validation_failed', why, { pointer: '/ttl_seconds' });
  }
  const run = await store.getRun(tenant, runId);
  if (run === undefined) throw new ServiceError('not_found', `run ${runId} not found`);
  if (run.status !== 'open') throw new ServiceError('run_closed', `run ${runId} is closed`);
  const at = now();
  const token = `${RUN_TOKEN_PREFIX}${newSecret()}`;
  const expiresAt = new Date(at.getTime() + ttlSeconds * 1000).toISOString();
  await store.insertRunToken({
    hash: sha256Hex(token),
    token_id: newId('rtk'),
    tenant,
    run_id: run.id,
    created_at: at.toISOString(),
    expires_at: expiresAt,
    ...(minter.keyId === undefined ? {} : { key_id: minter.keyId }),
  });
  return { token, run_id: run.id, expires_at: expiresAt };
}
