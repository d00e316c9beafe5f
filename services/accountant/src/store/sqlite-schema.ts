/**
 * The SQLite schema (version 2). JSON columns hold wire objects exactly as validated.
 * Version 2 adds `merkle_nodes`: the stored inner nodes of each run's RFC 9162 tree (merkle-log.ts).
 */
export const SCHEMA_VERSION = 2;

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
CREATE TABLE IF NOT EXISTS merkle_nodes (
  run_id TEXT NOT NULL REFERENCES runs (id), level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
  PRIMARY KEY (run_id, level, idx)) WITHOUT ROWID;
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
