/**
 * Run-scoped tokens in SQLite (schema version 7; the minting key since version 8). A token is looked up on every
 * request, like an API key, and
 * only its SHA-256 is stored.
 */
import type Database from 'better-sqlite3';
import { LIVE_KEY_SQL } from './sqlite-api-keys.js';
import type { RunTokenRow } from './store.js';

type Db = Database.Database;

/**
 * Prepared statements over the `run_tokens` table: inserts on the writer, lookups on the reader.
 * @example const tokens = runTokenStatements(writer, reader); tokens.byHash(sha256Hex(secret))
 */
export function runTokenStatements(writer: Db, reader: Db) {
  const insert = writer.prepare(
    'INSERT INTO run_tokens (hash, token_id, tenant, run_id, created_at, expires_at, key_id) ' +
      'VALUES (@hash, @token_id, @tenant, @run_id, @created_at, @expires_at, @key_id)',
  );
  // A token whose minting key is revoked is not found (schema version 8); one with no key_id lives until it expires.
  const byHash = reader.prepare(
    'SELECT t.hash, t.token_id, t.tenant, t.run_id, t.created_at, t.expires_at, t.key_id FROM run_tokens t\n' +
      `    WHERE t.hash = ? AND ${LIVE_KEY_SQL('t')}`,
  );
  return {
    insert: (row: RunTokenRow): void => void insert.run({ ...row, key_id: row.key_id ?? null }),
    byHash: (hash: string): RunTokenRow | undefined => {
      const r = byHash.get(hash) as (Omit<RunTokenRow, 'key_id'> & { key_id: string | null }) | undefined;
      if (r === undefined) return undefined;
      const { key_id, ...rest } = r;
      return key_id === null ? rest : { ...rest, key_id };
    },
  };
}
