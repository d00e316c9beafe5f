/**
 * Run-scoped tokens in SQLite (schema version 7). A token is looked up on every request, like an API key, and
 * only its SHA-256 is stored.
 */
import type Database from 'better-sqlite3';
import type { RunTokenRow } from './store.js';

type Db = Database.Database;

/**
 * Prepared statements over the `run_tokens` table: inserts on the writer, lookups on the reader.
 * @example const tokens = runTokenStatements(writer, reader); tokens.byHash(sha256Hex(secret))
 */
export function runTokenStatements(writer: Db, reader: Db) {
  const insert = writer.prepare('INSERT INTO run_tokens (hash, token_id, tenant, run_id, created_at, expires_at) VALUES (@hash, @token_id, @tenant, @run_id, @created_at, @expires_at)');
  const byHash = reader.prepare('SELECT hash, token_id, tenant, run_id, created_at, expires_at FROM run_tokens WHERE hash = ?');
  return {
    insert: (row: RunTokenRow): void => void insert.run(row),
    byHash: (hash: string): RunTokenRow | undefined => byHash.get(hash) as RunTokenRow | undefined,
  };
}
