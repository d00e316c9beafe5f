/**
 * startAccountant: the service on a port (used by `dpledger serve`), with its SQLite store in a data directory, or on
 * PostgreSQL when a database URL is given (several replicas may then share the database).
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { resolveAdminToken } from './admin-token.js';
import { createApp } from './app.js';
import { DEFAULT_SESSION_IDLE_MS, DEFAULT_SESSION_MAX_AGE_MS } from './dashboard/index.js';
import { createMetrics, registerPoolMetrics } from './http/metrics.js';
import { parseKeyEncryptionKey } from './keys/key-encryption.js';
import { KeyRing } from './keys/key-ring.js';
import { startMaintenance, type Maintenance } from './maintenance.js';
import { resolveSettings, type ServiceSettings } from './settings.js';
import { PgStore, openPgStore } from './store/pg-store.js';
import { openSqliteStore, type SqliteSynchronous } from './store/sqlite-store.js';
import type { Store } from './store/store.js';
import { StartupError } from './errors.js';

export interface StartOptions extends Partial<ServiceSettings> {
  port?: number;
  host?: string;
  dataDir?: string;
  adminToken?: string;
  /** postgres://... (default DPLEDGER_DATABASE_URL): PostgreSQL, not SQLite; needs the admin token (option or env). */
  databaseUrl?: string;
  /** PostgreSQL connections per replica (default DPLEDGER_PG_POOL_SIZE, else 10). */
  pgPoolSize?: number;
  /** PostgreSQL statement timeout in ms (default DPLEDGER_PG_STATEMENT_TIMEOUT_MS, else 5000). */
  pgStatementTimeoutMs?: number;
  /** Apply missing schema migrations at start (default true; DPLEDGER_MIGRATE=off refuses an old schema instead). */
  migrate?: boolean;
  /** How often the signing key ring is re-read from the store, in ms (default DPLEDGER_KEY_REFRESH_MS, else 30000). */
  keyRefreshMs?: number;
  logLevel?: string;
  /** SQLite commit durability (default DPLEDGER_SQLITE_SYNCHRONOUS, else 'full'); see SqliteSynchronous. */
  sqliteSynchronous?: SqliteSynchronous;
  /** Directory of the `/train` page bundle (default: packages/trainer/browser/train-dist, `npm run build:train`). */
  trainBundleDir?: string;
}

export interface RunningAccountant {
  url: string;
  adminToken: string;
  adminTokenPath?: string;
  store: Store;
  /** The listening server (timeouts and connection cap set from `settings`). */
  server: Server;
  settings: ServiceSettings;
  maintenance: Maintenance;
  /** Stops housekeeping and the server, then checkpoints the WAL and closes the store. */
  close(): Promise<void>;
}

export const DEFAULT_DATA_DIR = './.dpledger';
export const DATABASE_FILE = 'dpledger.sqlite';

/**
 * Starts the accountant. `port: 0` picks a free port; the admin token comes from the option, then
 * DPLEDGER_ADMIN_TOKEN, then (SQLite only) the data dir. Logs are JSON lines on stderr.
 * @example const svc = await startAccountant({ port: 0, dataDir: tmp }); await svc.close()
 */
export async function startAccountant(opts: StartOptions = {}): Promise<RunningAccountant> {
  const kek = parseKeyEncryptionKey(process.env['DPLEDGER_KEY_ENCRYPTION_KEY']);
  const databaseUrl = opts.databaseUrl ?? process.env['DPLEDGER_DATABASE_URL'];
  const postgres = databaseUrl !== undefined && databaseUrl !== '';
  const dataDir = resolve(opts.dataDir ?? DEFAULT_DATA_DIR);
  const envToken = opts.adminToken ?? process.env['DPLEDGER_ADMIN_TOKEN'];
  // Replicas on one database must share the admin token: a token generated into one replica's data dir would not be.
  if (postgres && (envToken === undefined || envToken === '')) {
    const why = 'with PostgreSQL (DPLEDGER_DATABASE_URL) the admin token must come from DPLEDGER_ADMIN_TOKEN';
    throw new StartupError('invalid_config', `${why}, shared by every replica`);
  }
  const settings = resolveSettings(opts, process.env);
  if (!postgres) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const admin = postgres ? { token: envToken!, path: undefined } : resolveAdminToken(dataDir, envToken);
  const store = postgres ? await openPgStore({ url: databaseUrl, ...pgOptions(opts) }) : openSqlite(dataDir, opts);
  const logOptions = { level: opts.logLevel ?? 'info', base: { service: 'dpledger-accountant' } };
  const logger = pino(logOptions, pino.destination(2));
  const metrics = createMetrics(true);
  if (store instanceof PgStore) registerPoolMetrics(metrics, () => store.poolStats());
  const keys = await KeyRing.open(store, () => new Date(), kek);
  const config = {
    adminToken: admin.token,
    trustProxy: settings.trustProxy,
    maxBudgetsPerTenant: settings.maxBudgetsPerTenant,
    maxRunsPerTenant: settings.maxRunsPerTenant,
  };
  const bundle = opts.trainBundleDir !== undefined ? { trainBundleDir: opts.trainBundleDir } : {};
  const app = await createApp({ store, keys, config, logger, metrics, ...bundle });
  // Another replica may rotate the signing key: re-read the ring at this interval (reading /v1/keys also refreshes).
  const refreshMs = opts.keyRefreshMs ?? envInt('DPLEDGER_KEY_REFRESH_MS') ?? 30_000;
  const refresh = () => keys.refresh().catch((err: unknown) => logger.warn({ err }, 'signing key refresh failed'));
  const refresher = setInterval(refresh, refreshMs);
  refresher.unref();
  const server = app.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1');
  // Slow or idle clients cannot hold sockets for ever (node:http defaults: requestTimeout 300 s, no connection cap).
  server.requestTimeout = settings.requestTimeoutSeconds * 1000;
  server.headersTimeout = settings.headersTimeoutSeconds * 1000;
  server.keepAliveTimeout = settings.keepAliveTimeoutSeconds * 1000;
  server.maxConnections = settings.maxConnections;
  await new Promise<void>((ok, fail) => {
    server.once('listening', ok);
    server.once('error', fail);
  });
  const maintenance = startMaintenance(store, {
    idempotencyRetentionDays: settings.idempotencyRetentionDays,
    sessionIdleMs: DEFAULT_SESSION_IDLE_MS,
    sessionMaxAgeMs: DEFAULT_SESSION_MAX_AGE_MS,
    logger,
  });
  void maintenance.runOnce().catch((err: unknown) => logger.error({ err }, 'maintenance failed'));
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const where = { url: `http://${host}:${addr.port}`, store: store.kind, ...(postgres ? {} : { data_dir: dataDir }) };
  logger.info(where, 'listening');
  return {
    url: `http://${host}:${addr.port}`,
    server,
    settings,
    maintenance,
    adminToken: admin.token,
    ...(admin.path !== undefined ? { adminTokenPath: admin.path } : {}),
    store,
    close: async () => {
      clearInterval(refresher);
      await maintenance.stop();
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new StartupError('invalid_config', `${name} must be a positive integer, got '${v}'`);
  }
  return n;
}

function pgOptions(opts: StartOptions) {
  const migrate = opts.migrate ?? process.env['DPLEDGER_MIGRATE'] !== 'off';
  const poolSize = opts.pgPoolSize ?? envInt('DPLEDGER_PG_POOL_SIZE');
  const statementTimeoutMs = opts.pgStatementTimeoutMs ?? envInt('DPLEDGER_PG_STATEMENT_TIMEOUT_MS');
  return {
    migrate,
    ...(poolSize !== undefined ? { poolSize } : {}),
    ...(statementTimeoutMs !== undefined ? { statementTimeoutMs } : {}),
  };
}

function openSqlite(dataDir: string, opts: StartOptions) {
  const sync = opts.sqliteSynchronous ?? process.env['DPLEDGER_SQLITE_SYNCHRONOUS'] ?? 'full';
  if (sync !== 'full' && sync !== 'normal') {
    throw new StartupError('invalid_config', `DPLEDGER_SQLITE_SYNCHRONOUS must be 'full' or 'normal', got '${sync}'`);
  }
  return openSqliteStore(join(dataDir, DATABASE_FILE), { synchronous: sync });
}
