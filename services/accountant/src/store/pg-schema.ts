/**
 * The PostgreSQL schema, versioned like SQLite's (sqlite-schema.ts): version 1 is PG_SCHEMA_SQL (frozen), then each
 * migration with the same number as its SQLite twin. Applied versions are rows of `schema_migrations`; `migratePg`
 * runs the missing ones in one transaction under a session advisory lock, so replicas starting together do not race.
 * Column types keep the SQLite store's encodings (JSON as TEXT, RDP vectors as float64 little-endian BYTEA, times as
 * ISO 8601 TEXT), so both stores share their row conversions (sqlite-rows.ts).
 */
import pg from 'pg';
import { backfillPgMerkle } from './pg-merkle.js';
import { MIGRATIONS as SQLITE_MIGRATIONS, SCHEMA_VERSION } from './sqlite-schema.js';
import { StartupError } from '../errors.js';

/** Any fixed 64-bit key names the lock; this one is "dpledger" in ASCII. */
export const MIGRATION_LOCK_KEY = '7237403783916381554';

export const PG_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS api_keys (
  ord BIGSERIAL, key_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS budgets (
  ord BIGSERIAL, id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL, description TEXT,
  epsilon DOUBLE PRECISION NOT NULL, delta DOUBLE PRECISION NOT NULL, accountant TEXT NOT NULL,
  neighboring_relation TEXT NOT NULL, created_at TEXT NOT NULL, epsilon_spent DOUBLE PRECISION NOT NULL,
  epsilon_reserved DOUBLE PRECISION NOT NULL, rdp BYTEA NOT NULL, ledger TEXT NOT NULL, run_count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS budgets_tenant ON budgets (tenant, created_at);
CREATE TABLE IF NOT EXISTS runs (
  ord BIGSERIAL, id TEXT PRIMARY KEY, tenant TEXT NOT NULL, budget_id TEXT NOT NULL REFERENCES budgets (id),
  name TEXT NOT NULL, sampler TEXT NOT NULL, noise_rng TEXT, metadata TEXT, status TEXT NOT NULL,
  event_count INTEGER NOT NULL, epsilon_spent DOUBLE PRECISION NOT NULL, rdp BYTEA NOT NULL, ledger TEXT NOT NULL,
  created_at TEXT NOT NULL, closed_at TEXT, model_digest TEXT, dataset_digest TEXT);
CREATE INDEX IF NOT EXISTS runs_tenant ON runs (tenant, created_at);
CREATE TABLE IF NOT EXISTS events (
  run_id TEXT NOT NULL REFERENCES runs (id), sequence INTEGER NOT NULL, event TEXT NOT NULL,
  recorded_at TEXT NOT NULL, PRIMARY KEY (run_id, sequence));
CREATE TABLE IF NOT EXISTS reservations (
  ord BIGSERIAL, id TEXT PRIMARY KEY, tenant TEXT NOT NULL, run_id TEXT NOT NULL REFERENCES runs (id),
  budget_id TEXT NOT NULL, steps INTEGER NOT NULL, event TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS reservations_open ON reservations (budget_id, status);
CREATE TABLE IF NOT EXISTS idempotency (
  tenant TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER NOT NULL,
  body TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (tenant, key));
CREATE TABLE IF NOT EXISTS signing_keys (
  ord BIGSERIAL, kid TEXT PRIMARY KEY, private_pem TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reports (
  run_id TEXT PRIMARY KEY REFERENCES runs (id), tenant TEXT NOT NULL, kid TEXT NOT NULL, envelope TEXT NOT NULL,
  created_at TEXT NOT NULL);
`;

/** The PostgreSQL twin of each SQLite migration, by version (sqlite-schema.ts says what each one is for). */
export const PG_MIGRATIONS: readonly { version: number; sql: string; backfill?: 'merkle' }[] = [
  {
    version: 2,
    sql:
      'ALTER TABLE runs ADD COLUMN allow_large_delta INTEGER;\n' +
      'CREATE INDEX IF NOT EXISTS reservations_due ON reservations (tenant, status, expires_at);',
  },
  {
    version: 3,
    sql: `ALTER TABLE runs ADD COLUMN audit TEXT;
CREATE TABLE IF NOT EXISTS audit_inputs (
  run_id TEXT PRIMARY KEY REFERENCES runs (id), tenant TEXT NOT NULL, scores TEXT NOT NULL, included TEXT NOT NULL,
  created_at TEXT NOT NULL);`,
  },
  { version: 4, sql: 'ALTER TABLE api_keys ADD COLUMN revoked_at TEXT;' },
  {
    // sessions keep `ord` (insertion order) to evict a tenant's oldest beyond the cap as SQLite does by rowid
    version: 5,
    sql: `ALTER TABLE budgets ADD COLUMN spent_accountant TEXT NOT NULL DEFAULT 'rdp';
ALTER TABLE budgets ADD COLUMN reserved_accountant TEXT NOT NULL DEFAULT 'rdp';
CREATE TABLE IF NOT EXISTS sessions (
  ord BIGSERIAL, id_hash TEXT PRIMARY KEY, tenant TEXT NOT NULL, created_at BIGINT NOT NULL, last_seen BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_tenant ON sessions (tenant, created_at);
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at);
CREATE TABLE IF NOT EXISTS idempotency_expired (
  tenant TEXT NOT NULL, key_hash TEXT NOT NULL, PRIMARY KEY (tenant, key_hash));`,
  },
  {
    // an existing database gets the nodes of its runs' records computed once (pg-merkle.ts backfillPgMerkle)
    version: 6,
    sql: `CREATE TABLE IF NOT EXISTS merkle_nodes (
  run_id TEXT NOT NULL REFERENCES runs (id), level INTEGER NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL,
  PRIMARY KEY (run_id, level, idx));`,
    backfill: 'merkle',
  },
  {
    // run-scoped tokens (docs/design.md "Tokens"): only the SHA-256 of each secret is stored
    version: 7,
    sql: `CREATE TABLE IF NOT EXISTS run_tokens (
  hash TEXT PRIMARY KEY, token_id TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL, run_id TEXT NOT NULL REFERENCES runs (id),
  created_at TEXT NOT NULL, expires_at TEXT NOT NULL);`,
  },
  {
    // the API key that opened each session and minted each run token (refused once it is revoked); older rows: NULL
    version: 8,
    sql:
      'ALTER TABLE sessions ADD COLUMN IF NOT EXISTS key_id TEXT;\n' +
      'ALTER TABLE run_tokens ADD COLUMN IF NOT EXISTS key_id TEXT;',
  },
];

if (PG_MIGRATIONS.map((m) => m.version).join() !== SQLITE_MIGRATIONS.map((m) => m.version).join()) {
  throw new Error('PostgreSQL and SQLite migrations differ in their versions'); // internal assertion: a build defect
}

export interface MigrationStatus {
  /** Highest applied version (0 for an empty database). */
  from: number;
  /** Version after the call. */
  to: number;
  applied: number[];
}

async function appliedVersion(client: pg.PoolClient): Promise<number> {
  await client.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
  );
  const r = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return r.rows[0]?.v ?? 0;
}

/**
 * Reads (and with `apply`, brings up to SCHEMA_VERSION) the schema version, under pg_advisory_lock.
 * Refuses a database newer than this service.
 * @example const s = await migratePg(pool, { apply: true }) // { from: 0, to: 6, applied: [1, 2, 3, 4, 5, 6] }
 */
export async function migratePg(pool: pg.Pool, opts: { apply: boolean }): Promise<MigrationStatus> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const from = await appliedVersion(client);
      if (from > SCHEMA_VERSION) {
        const why = `database schema version ${from} is newer than this service (${SCHEMA_VERSION})`;
        throw new StartupError('schema_mismatch', why);
      }
      if (!opts.apply || from === SCHEMA_VERSION) return { from, to: from, applied: [] };
      const all: readonly (typeof PG_MIGRATIONS)[number][] = [{ version: 1, sql: PG_SCHEMA_SQL }, ...PG_MIGRATIONS];
      const steps = all.filter((m) => m.version > from);
      await client.query('BEGIN');
      try {
        for (const m of steps) {
          await client.query(m.sql);
          // Databases from before version 6 kept no Merkle nodes: build them from the stored records, once.
          if (m.backfill === 'merkle' && from > 0) await backfillPgMerkle(client);
          const insert = 'INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)';
          await client.query(insert, [m.version, new Date().toISOString()]);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
      return { from, to: SCHEMA_VERSION, applied: steps.map((m) => m.version) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/**
 * `migratePg` on a database URL with a one-connection pool (what `dpledger migrate` runs).
 * @example
 * await migrateDatabase('postgres://dpledger@db/dpledger', { apply: false }) // { from: 6, to: 6, applied: [] }
 */
export async function migrateDatabase(url: string, opts: { apply: boolean }): Promise<MigrationStatus> {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => undefined);
  try {
    return await migratePg(pool, opts);
  } finally {
    await pool.end();
  }
}
