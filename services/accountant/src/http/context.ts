/** What route handlers share: the frozen configuration and the injected parts. */
import type { Response } from 'express';
import type { Logger } from 'pino';
import { ServiceError } from '../errors.js';
import type { KeyRing } from '../keys/key-ring.js';
import type { EngineDeps } from '../ledger/engine.js';
import type { Meters } from '../ledger/meters.js';
import type { Store } from '../store/store.js';
import type { Guards } from './guards.js';
import type { ServiceMetrics } from './metrics.js';
import type { TrustProxy } from './transport.js';

export interface AppConfig {
  /** Bearer token of admin routes. */
  adminToken: string;
  /** express body-parser limit, e.g. '1mb'. */
  bodyLimit: string | number;
  /** Validate responses against openapi.yaml too (tests turn this on). */
  validateResponses: boolean;
  /** Path of openapi.yaml. */
  specPath: string;
  /** Service version written into reports. */
  version: string;
  /** express `trust proxy` (see http/transport.ts); false unless a proxy is named. */
  trustProxy: TrustProxy;
  /** HSTS max-age on HTTPS answers, seconds (0 sends none). */
  hstsMaxAgeSeconds: number;
  /** Budgets, and runs, one tenant may hold (422 limit_exceeded beyond). */
  maxBudgetsPerTenant: number;
  maxRunsPerTenant: number;
}

export interface Ctx {
  store: Store;
  meters: Meters;
  keys: KeyRing;
  now: () => Date;
  metrics: ServiceMetrics;
  logger: Logger;
  config: Readonly<AppConfig>;
  engine: EngineDeps;
  /** The guard each route starts with (who may call it, then request validation). */
  guards: Guards;
}

/** The authenticated tenant of a request (set by `authenticate`). */
export function tenantOf(res: Response): string {
  const t = res.locals['tenant'];
  if (typeof t !== 'string') throw new ServiceError('unauthorized', 'a tenant API key is required');
  return t;
}
