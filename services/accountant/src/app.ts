/**
 * createApp: the whole accountant service from injected parts. openapi.yaml is loaded and checked before the
 * app resolves; requests are validated against it with no coercion and no removal of unknown fields.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import express from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { OpenApiSpecLoader } from 'express-openapi-validator/dist/framework/openapi.spec.loader.js';
import { pino, type Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { createDashboardRouter, storeSource } from './dashboard/index.js';
import { authenticate } from './http/auth.js';
import type { AppConfig, Ctx } from './http/context.js';
import { createMetrics, type ServiceMetrics } from './http/metrics.js';
import { observe } from './http/observe.js';
import { problemHandler } from './http/problem.js';
import { KeyRing } from './keys/key-ring.js';
import { Meters, type PldEpsilon } from './ledger/meters.js';
import { PldWorker } from './ledger/pld-worker.js';
import { adminRoutes } from './routes/admin.js';
import { budgetRoutes } from './routes/budgets.js';
import { eventRoutes } from './routes/events.js';
import { opsRoutes } from './routes/ops.js';
import { reportRoutes } from './routes/reports.js';
import { runRoutes } from './routes/runs.js';
import type { Store } from './store/store.js';

/** openapi.yaml at the repository root. */
export const DEFAULT_SPEC_PATH = fileURLToPath(new URL('../../../openapi.yaml', import.meta.url));
export const SERVICE_VERSION = '0.1.0';

export interface AppDeps {
  store: Store;
  config: Pick<AppConfig, 'adminToken'> & Partial<AppConfig>;
  /** Signing keys; loaded from (or first generated into) the store when absent. */
  keys?: KeyRing;
  clock?: () => Date;
  logger?: Logger;
  metrics?: ServiceMetrics;
  /** PLD epsilon of a ledger (default: @dpledger/accounting's PldAccountant in a worker thread with a time limit). */
  pldEpsilon?: PldEpsilon;
}

/**
 * Builds the express app. Rejects when openapi.yaml is missing or invalid.
 * @example const app = await createApp({ store: openSqliteStore(file), config: { adminToken } })
 */
export async function createApp(deps: AppDeps): Promise<express.Express> {
  const config: Readonly<AppConfig> = Object.freeze({
    bodyLimit: '1mb',
    validateResponses: false,
    specPath: DEFAULT_SPEC_PATH,
    version: SERVICE_VERSION,
    ...deps.config,
  });
  if (config.adminToken.length < 16) throw new Error('the admin token must have at least 16 characters');
  const apiSpec = parseYaml(await readFile(config.specPath, 'utf8')) as Record<string, unknown>;
  // Resolves every $ref and validates the document against the OpenAPI 3 schema now, not on the first request.
  await new OpenApiSpecLoader({ apiDoc: structuredClone(apiSpec) as never, validateApiSpec: true }).load();

  const now = deps.clock ?? (() => new Date());
  const logger = deps.logger ?? pino({ level: 'silent' });
  const metrics = deps.metrics ?? createMetrics();
  const meters = new Meters(deps.pldEpsilon ?? new PldWorker().epsilon);
  const keys = deps.keys ?? (await KeyRing.open(deps.store, now));
  const ctx: Ctx = { store: deps.store, meters, keys, now, metrics, logger, config, engine: { store: deps.store, meters, now } };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // answers are per request; hashing every body buys nothing
  app.set('query parser', 'simple');
  app.use(observe(logger, metrics));
  const ops = express.Router();
  opsRoutes(ops, ctx);
  app.use(ops);
  app.use(createDashboardRouter({ source: storeSource(deps.store, keys) }));
  app.use('/v1', authenticate(deps.store, config.adminToken));
  app.use(express.json({ limit: config.bodyLimit, strict: true, type: ['application/json', 'application/*+json'] }));
  app.use(
    OpenApiValidator.middleware({
      apiSpec: apiSpec as never,
      validateApiSpec: false,
      validateRequests: { coerceTypes: false, removeAdditional: false, allowUnknownQueryParameters: false },
      validateResponses: config.validateResponses ? { removeAdditional: false, coerceTypes: false } : false,
      validateSecurity: false,
      ignoreUndocumented: false,
      ignorePaths: /^\/(?!v1\/)/,
    }),
  );
  const v1 = express.Router();
  adminRoutes(v1, ctx);
  budgetRoutes(v1, ctx);
  runRoutes(v1, ctx);
  eventRoutes(v1, ctx);
  reportRoutes(v1, ctx);
  app.use(v1);
  app.use(problemHandler(logger));
  return app;
}
