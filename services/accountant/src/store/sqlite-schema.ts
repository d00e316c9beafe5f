/**
 * The SQLite schema: version 1 is SCHEMA_SQL (frozen), then each migration in order. A new database runs them all;
 * an older one runs those above its `user_version`, in one transaction. JSON columns hold wire objects as validated.
 */
export const MIGRATIONS: readonly { version: number; sql: string; backfill?: 'merkle' }[] = [
  // runs created with allow_large_delta (budget delta not below 1 / dataset_size); open reservations by due time
  {
    version: 2,
    sql:
      'ALTER TABLE runs ADD COLUMN allow_large_delta INTEGER;\n' +
      'CREATE INDEX IF NOT EXISTS reservations_due ON reservations (tenant, status, expires_at);',
  },
  {
    // one-run audits: the computed section on the run, the raw canary scores and bits beside it
    version: 3,
    sql: `ALTER TABLE runs ADD COLUMN audit TEXT;
CREATE TABLE IF NOT EXISTS audit_inputs (
  run_id TEXT PRIMARY KEY REFERENCES runs (id), tenant TEXT NOT NULL, scores TEXT NOT NULL, included TEXT NOT NULL,
  created_at TEXT NOT NULL);`,
  },
  // API key revocation: a revoked key has revoked_at set and is refused by every replica from its next request
  { version: 4, sql: 'ALTER TABLE api_keys ADD COLUMN revoked_at TEXT;' },
  {
    // which accountant gave each budget figure; dashboard sessions (cookie hashes); idempotency retention with
    // tombstones of purged keys, so a replay after the retention is refused, never applied twice
    version: 5,
    sql: `ALTER TABLE budgets ADD COLUMN spent_accountant TEXT NOT NULL DEFAULT 'rdp';
ALTER TABLE budgets ADD COLUMN reserved_accountant TEXT NOT NULL DEFAULT 'rdp';
CREATE TABLE IF NOT EXISTS sessions (
  id_hash TEXT PRIMARY KEY, tenant TEXT NOT NULL, created_at INTEGER NOT NULL, last_seen INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_tenant ON sessions (tenant, created_at);
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at);
CREATE TABLE IF NOT EXISTS idempotency_expired (
  tenant TEXT NOT NULL, key_hash TEXT NOT NULL, PRIMARY KEY (tenant, key_hash)) WITHOUT ROWID;`,
  },
  {
    // the stored inner nodes of each run's RFC 9162 tree (merkle-log.ts): O(log n) roots and inclusion proofs;
    // an existing database gets the nodes of its runs' records computed once (sqlite-merkle.ts backfillMerkle)
    version: 6,
    sql: `CREATE TABLE IF NOT EXISTS merkle_nodes (
  run_id TEXT NOT NULL REFERENCES runs (id), level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
  PRIMARY KEY (run_id, level, idx)) WITHOUT ROWID;`,
    backfill: 'merkle',
  },
  {
    // run-scoped tokens (docs/design.md "Tokens"): the SHA-256 of the secret, the one run it may append to, its expiry
    version: 7,
    sql: `CREATE TABLE IF NOT EXISTS run_tokens (
  hash TEXT PRIMARY KEY, token_id TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL, run_id TEXT NOT NULL REFERENCES runs (id),
  created_at TEXT NOT NULL, expires_at TEXT NOT NULL) WITHOUT ROWID;`,
  },
  {
    // the API key that opened each dashboard session and minted each run token: both are refused once that key is
    // revoked; rows from before this version have no key_id and live until they expire
    version: 8,
    sql: 'ALTER TABLE sessions ADD COLUMN key_id TEXT;\nALTER TABLE run_tokens ADD COLUMN key_id TEXT;',
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS api_keys (
  key_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS budgets (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL, description TEXT,
  epsilon REAL NOT NULL, delta REAL NOT NULL, accountant TEXT NOT NULL, neighboring_relation TEXT NOT NULL,
  created_at TEXT NOT NULL, epsilon_spent REAL NOT NULL, epsilon_reserved REAL NOT NULL,
  rdp BLOB NOT NULL, ledger TEXT NOT NULL, run_count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS budgets_tenant ON budgets (tenant, created_at);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, budget_id TEXT NOT NULL REFERENCES budgets (id), name TEXT NOT NULL,
  sampler TEXT NOT NULL, noise_rng TEXT, metadata TEXT, status TEXT NOT NULL, event_count INTEGER NOT NULL,
  epsilon_spent REAL NOT NULL, rdp BLOB NOT NULL, ledger TEXT NOT NULL, created_at TEXT NOT NULL,
  closed_at TEXT, model_digest TEXT, dataset_digest TEXT);
CREATE INDEX IF NOT EXISTS runs_tenant ON runs (tenant, created_at);
CREATE TABLE IF NOT EXISTS events (
  run_id TEXT NOT NULL REFERENCES runs (id), sequence INTEGER NOT NULL, event TEXT NOT NULL,
  recorded_at TEXT NOT NULL, PRIMARY KEY (run_id, sequence)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reservations (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, run_id TEXT NOT NULL REFERENCES runs (id), budget_id TEXT NOT NULL,
  steps INTEGER NOT NULL, event TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS reservations_open ON reservations (budget_id, status);
CREATE TABLE IF NOT EXISTS idempotency (
  tenant TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER NOT NULL,
  body TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (tenant, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS signing_keys (
  kid TEXT PRIMARY KEY, private_pem TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reports (
  run_id TEXT PRIMARY KEY REFERENCES runs (id), tenant TEXT NOT NULL, kid TEXT NOT NULL, envelope TEXT NOT NULL,
  created_at TEXT NOT NULL);
`;
