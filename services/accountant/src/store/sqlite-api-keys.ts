/**
 * API keys in SQLite: revocation and listing. A key is looked up on every request (no cache), and a revoked
 * key has `revoked_at` set, so every replica that shares the database refuses it from its next request on.
 */
import type Database from 'better-sqlite3';
import type { ApiKeyInfo } from './store.js';

type Db = Database.Database;

/** The tenant of a live (unrevoked) key by hash. */
export const KEY_HASH_SQL = 'SELECT key_id, tenant FROM api_keys WHERE hash = ? AND revoked_at IS NULL';

/**
 * SQL condition: the row (a session or run token) was made by a live key, or by none (a row from before schema
 * version 8, which lives until it expires). `alias` names the table of the row.
 * @example `SELECT * FROM sessions s WHERE s.id_hash = ? AND ${LIVE_KEY_SQL('s')}`
 */
export const LIVE_KEY_SQL = (alias: string): string =>
  `(${alias}.key_id IS NULL OR EXISTS ` +
  `(SELECT 1 FROM api_keys k WHERE k.key_id = ${alias}.key_id AND k.revoked_at IS NULL))`;

/**
 * Prepared statements over the `api_keys` table of the writer connection.
 * @example const keys = apiKeyStatements(writer); keys.revoke('key_1', new Date().toISOString())
 */
export function apiKeyStatements(db: Db) {
  const list = db.prepare('SELECT key_id, tenant, created_at, revoked_at FROM api_keys ORDER BY created_at, rowid');
  const one = db.prepare('SELECT key_id, tenant, created_at, revoked_at FROM api_keys WHERE key_id = ?');
  // The first revocation time is kept: revoking twice changes nothing.
  const revoke = db.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE key_id = ?');
  const info = (r: Record<string, unknown>): ApiKeyInfo => ({
    key_id: r['key_id'] as string,
    tenant: r['tenant'] as string,
    created_at: r['created_at'] as string,
    ...(r['revoked_at'] === null ? {} : { revoked_at: r['revoked_at'] as string }),
  });
  return {
    list: (): ApiKeyInfo[] => (list.all() as Record<string, unknown>[]).map(info),
    revoke: (keyId: string, at: string): ApiKeyInfo | undefined => {
      revoke.run(at, keyId);
      const row = one.get(keyId) as Record<string, unknown> | undefined;
      return row === undefined ? undefined : info(row);
    },
  };
}
