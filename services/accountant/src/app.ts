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
import {
  LoginLimiter,
  SessionTable,
  createDashboardRouter,
  storeSource,
  type LoginLimits,
  type SessionOptions,
} from './dashboard/index.js';
import { authenticate } from './http/auth.js';
import { checkBody, requireUtf8 } from './http/body-checks.js';
import type { AppConfig, Ctx } from './http/context.js';
import { createMetrics, sideEffect, type ServiceMetrics } from './http/metrics.js';
import { createGuards } from './http/guards.js';
import { observe } from './http/observe.js';
import { problemHandler } from './http/problem.js';
import { checkRoutes, notFound, specOperations } from './http/spec-routes.js';
import { DEFAULT_HSTS_MAX_AGE_SECONDS, hsts } from './http/transport.js';
import { KeyRing } from './keys/key-ring.js';
import { loggingDueFirst } from './ledger/expiry.js';
import { Meters, type PldEpsilon } from './ledger/meters.js';
import { PldWorker } from './ledger/pld-worker.js';
import { adminRoutes } from './routes/admin.js';
import { budgetRoutes } from './routes/budgets.js';
import { eventRoutes } from './routes/events.js';
import { opsRoutes } from './routes/ops.js';
import { reportRoutes } from './routes/reports.js';
import { runTokenRoutes } from './routes/run-tokens.js';
import { runRoutes } from './routes/runs.js';
import { createTrainRouter } from './train/train-router.js';
import type { Store } from './store/store.js';
import { StartupError } from './errors.js';

/** openapi.yaml at the repository root. */
export const DEFAULT_SPEC_PATH = fileURLToPath(new URL('../../../openapi.yaml', import.meta.url));
export const SERVICE_VERSION = '0.1.0';
/** Every router of the app matches paths exactly (Express 5 defaults to case-insensitive, non-strict). */
export const ROUTER_OPTIONS = Object.freeze({ caseSensitive: true, strict: true });

/** Per-tenant limits when the config names none (openapi.yaml createBudget, createRun). */
export const DEFAULT_MAX_BUDGETS = 1000;
export const DEFAULT_MAX_RUNS = 100_000;

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
  /** Directory of the `/train` page bundle (default: packages/trainer/browser/train-dist, `npm run build:train`). */
  trainBundleDir?: string;
  /** Dashboard session lifetimes and per-tenant cap, and login rate limits (defaults in dashboard/). */
  sessions?: Omit<SessionOptions, 'now'>;
  loginLimits?: LoginLimits;
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
    trustProxy: false,
    hstsMaxAgeSeconds: DEFAULT_HSTS_MAX_AGE_SECONDS,
    maxBudgetsPerTenant: DEFAULT_MAX_BUDGETS,
    maxRunsPerTenant: DEFAULT_MAX_RUNS,
    ...deps.config,
  });
  if (config.adminToken.length < 16) {
    throw new StartupError('invalid_config', 'the admin token must have at least 16 characters');
  }
  const apiSpec = parseYaml(await readFile(config.specPath, 'utf8')) as Record<string, unknown>;
  // Resolves every $ref and validates the document against the OpenAPI 3 schema now, not on the first request.
  await new OpenApiSpecLoader({ apiDoc: structuredClone(apiSpec) as never, validateApiSpec: true }).load();

  const now = deps.clock ?? (() => new Date());
  const logger = deps.logger ?? pino({ level: 'silent' });
  const metrics = deps.metrics ?? createMetrics();
  const meters = new Meters(deps.pldEpsilon ?? new PldWorker().epsilon);
  const keys = deps.keys ?? (await KeyRing.open(deps.store, now));
  const onOverspend = (b: { id: string; tenant: string; epsilon: number; epsilon_spent: number }) => {
    sideEffect(logger, () => {
      metrics.overspent.inc();
      const fields = { budget_id: b.id, tenant: b.tenant, epsilon_spent: b.epsilon_spent, epsilon_limit: b.epsilon };
      logger.error(fields, 'budget overspent: steps already taken were recorded beyond its limit');
    });
  };
  const pipeline = [
    requireUtf8,
    express.json({ limit: config.bodyLimit, strict: true, type: ['application/json', 'application/*+json'] }),
    checkBody,
    ...(OpenApiValidator.middleware({
      apiSpec: apiSpec as never,
      validateApiSpec: false,
      validateRequests: { coerceTypes: false, removeAdditional: false, allowUnknownQueryParameters: false },
      validateResponses: config.validateResponses ? { removeAdditional: false, coerceTypes: false } : false,
      validateSecurity: false,
      ignoreUndocumented: false,
    }) as express.RequestHandler[]),
  ];
  const guards = createGuards(pipeline);
  const engine = { store: deps.store, meters, now, onOverspend };
  const ctx: Ctx = { store: deps.store, meters, keys, now, metrics, logger, config, engine, guards };
  const operations = specOperations(apiSpec);

  const app = express();
  // Exact paths only: '/V1/...' or '/v1/budgets/' match no route and get 404, never a handler.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.disable('x-powered-by');
  app.set('etag', false); // answers are per request; hashing every body buys nothing
  app.set('query parser', 'simple');
  app.set('trust proxy', config.trustProxy);
  app.use(hsts(config.hstsMaxAgeSeconds));
  app.use(observe(logger, metrics));
  const ops = express.Router(ROUTER_OPTIONS);
  opsRoutes(ops, ctx);
  app.use(ops);
  // Dashboard reads, like API reads, first log reservations that expired uncommitted (ledger/expiry.ts).
  const reads = ['listBudgets', 'listRuns', 'getRun', 'listEvents'] as const;
  const source = loggingDueFirst(ctx.engine, storeSource(deps.store, keys, { meters, now }), reads);
  const sessions = new SessionTable(deps.store, { ...deps.sessions, now: () => now().getTime() });
  const bundle = deps.trainBundleDir !== undefined ? { bundleDir: deps.trainBundleDir } : {};
  app.use(createTrainRouter({ ctx, sessions, ...bundle }));
  const limiter = new LoginLimiter(deps.loginLimits);
  app.use(createDashboardRouter({ source, sessions, limiter, now: () => now().getTime() }));
  app.use('/v1', authenticate(deps.store, config.adminToken, now));
  const v1 = express.Router(ROUTER_OPTIONS);
  adminRoutes(v1, ctx);
  budgetRoutes(v1, ctx);
  runRoutes(v1, ctx);
  runTokenRoutes(v1, ctx);
  eventRoutes(v1, ctx);
  reportRoutes(v1, ctx);
  checkRoutes(v1, operations, '/v1/');
  app.use(v1);
  app.use(notFound(operations));
  app.use(problemHandler(logger));
  return app;
}
