/**
 * @dpledger/accountant: the HTTP accountant. Budgets, run ledgers with a filter before release, idempotent
 * appends and reservations, signed per-run reports; SQLite storage behind the `Store` interface.
 */
export { createApp, DEFAULT_SPEC_PATH, SERVICE_VERSION, type AppDeps } from './app.js';
export {
  startAccountant,
  DEFAULT_DATA_DIR,
  DATABASE_FILE,
  type StartOptions,
  type RunningAccountant,
} from './start.js';
export { resolveAdminToken, ADMIN_TOKEN_FILE } from './admin-token.js';
export { ServiceError, StartupError, STATUS, type ServiceErrorCode, type StartupErrorCode } from './errors.js';
export { openSqliteStore, SqliteStore, type SqliteSynchronous } from './store/sqlite-store.js';
export { openPgStore, PgStore, type PgStoreOptions, type PoolStats } from './store/pg-store.js';
export { migratePg, migrateDatabase, type MigrationStatus } from './store/pg-schema.js';
export { SCHEMA_VERSION } from './store/sqlite-schema.js';
export { StoreUnavailableError } from './store/store-unavailable.js';
export type {
  Store,
  WriteTx,
  BudgetRow,
  RunRow,
  EventRecord,
  ReservationRow,
  IdempotencyRow,
  SigningKeyRow,
  ReportRow,
  SessionRow,
  Page,
  PageAfter,
} from './store/store.js';
export { KeyRing } from './keys/key-ring.js';
export { createMetrics, type ServiceMetrics } from './http/metrics.js';
export type { AppConfig } from './http/context.js';
export { parseTrustProxy, type TrustProxy } from './http/transport.js';
export { resolveSettings, type ServiceSettings } from './settings.js';
export { startMaintenance, DEFAULT_IDEMPOTENCY_RETENTION_DAYS, type Maintenance } from './maintenance.js';
