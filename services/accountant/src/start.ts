/** startAccountant: the service on a port, with its SQLite store in a data directory (used by `dpledger serve`). */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { resolveAdminToken } from './admin-token.js';
import { createApp } from './app.js';
import { DEFAULT_SESSION_IDLE_MS, DEFAULT_SESSION_MAX_AGE_MS } from './dashboard/index.js';
import { createMetrics } from './http/metrics.js';
import { startMaintenance, type Maintenance } from './maintenance.js';
import { resolveSettings, type ServiceSettings } from './settings.js';
import { openSqliteStore, type SqliteSynchronous } from './store/sqlite-store.js';
import type { Store } from './store/store.js';

export interface StartOptions extends Partial<ServiceSettings> {
  port?: number;
  host?: string;
  dataDir?: string;
  adminToken?: string;
  databaseUrl?: string;
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
 * DPLEDGER_ADMIN_TOKEN, then the data dir. Logs are JSON lines on stderr.
 * @example const svc = await startAccountant({ port: 0, dataDir: tmp }); await svc.close()
 */
export async function startAccountant(opts: StartOptions = {}): Promise<RunningAccountant> {
  const databaseUrl = opts.databaseUrl ?? process.env['DPLEDGER_DATABASE_URL'];
  if (databaseUrl !== undefined && databaseUrl !== '') {
    throw new Error('PostgreSQL storage (DPLEDGER_DATABASE_URL) is not implemented yet; unset it to use the embedded SQLite store');
  }
  const dataDir = resolve(opts.dataDir ?? DEFAULT_DATA_DIR);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const admin = resolveAdminToken(dataDir, opts.adminToken ?? process.env['DPLEDGER_ADMIN_TOKEN']);
  const sync = opts.sqliteSynchronous ?? process.env['DPLEDGER_SQLITE_SYNCHRONOUS'] ?? 'full';
  if (sync !== 'full' && sync !== 'normal') throw new Error(`DPLEDGER_SQLITE_SYNCHRONOUS must be 'full' or 'normal', got '${sync}'`);
  const settings = resolveSettings(opts, process.env);
  const store = openSqliteStore(join(dataDir, DATABASE_FILE), { synchronous: sync });
  const logger = pino({ level: opts.logLevel ?? 'info', base: { service: 'dpledger-accountant' } }, pino.destination(2));
  const config = { adminToken: admin.token, trustProxy: settings.trustProxy, maxBudgetsPerTenant: settings.maxBudgetsPerTenant, maxRunsPerTenant: settings.maxRunsPerTenant };
  const app = await createApp({ store, config, logger, metrics: createMetrics(true), ...(opts.trainBundleDir !== undefined ? { trainBundleDir: opts.trainBundleDir } : {}) });
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
  logger.info({ url: `http://${host}:${addr.port}`, data_dir: dataDir }, 'listening');
  return {
    url: `http://${host}:${addr.port}`,
    server,
    settings,
    maintenance,
    adminToken: admin.token,
    ...(admin.path !== undefined ? { adminTokenPath: admin.path } : {}),
    store,
    close: async () => {
      await maintenance.stop();
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}
