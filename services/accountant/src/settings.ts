/**
 * Operator settings of `startAccountant` / `dpledger serve`: each from its option, else its environment
 * variable, else the default. Validated at start, so a typo fails the boot, not a request.
 */
import { DEFAULT_MAX_BUDGETS, DEFAULT_MAX_RUNS } from './app.js';
import { parseTrustProxy, type TrustProxy } from './http/transport.js';
import { DEFAULT_IDEMPOTENCY_RETENTION_DAYS } from './maintenance.js';
import { StartupError } from './errors.js';

export interface ServiceSettings {
  /** express `trust proxy` (DPLEDGER_TRUST_PROXY). */
  trustProxy: TrustProxy;
  /** Most seconds a whole request may take to arrive (DPLEDGER_REQUEST_TIMEOUT_S, default 60). */
  requestTimeoutSeconds: number;
  /** Most seconds the request headers may take (DPLEDGER_HEADERS_TIMEOUT_S, default 20; at most the request timeout) */
  headersTimeoutSeconds: number;
  /** Seconds an idle keep-alive connection stays open (DPLEDGER_KEEP_ALIVE_TIMEOUT_S; default 65, over a proxy 60). */
  keepAliveTimeoutSeconds: number;
  /** Most concurrent connections (DPLEDGER_MAX_CONNECTIONS, default 1024); more are dropped at accept. */
  maxConnections: number;
  /** Days an idempotent answer is kept (DPLEDGER_IDEMPOTENCY_RETENTION_DAYS, default 7). */
  idempotencyRetentionDays: number;
  /** Budgets and runs per tenant (DPLEDGER_MAX_BUDGETS, default 1000; DPLEDGER_MAX_RUNS, default 100000). */
  maxBudgetsPerTenant: number;
  maxRunsPerTenant: number;
}

const ENV: Record<Exclude<keyof ServiceSettings, 'trustProxy'>, [string, number, number, number]> = {
  // name, default, min, max
  requestTimeoutSeconds: ['DPLEDGER_REQUEST_TIMEOUT_S', 60, 1, 3600],
  headersTimeoutSeconds: ['DPLEDGER_HEADERS_TIMEOUT_S', 20, 1, 3600],
  keepAliveTimeoutSeconds: ['DPLEDGER_KEEP_ALIVE_TIMEOUT_S', 65, 1, 3600],
  maxConnections: ['DPLEDGER_MAX_CONNECTIONS', 1024, 1, 1_000_000],
  idempotencyRetentionDays: ['DPLEDGER_IDEMPOTENCY_RETENTION_DAYS', DEFAULT_IDEMPOTENCY_RETENTION_DAYS, 1, 3650],
  maxBudgetsPerTenant: ['DPLEDGER_MAX_BUDGETS', DEFAULT_MAX_BUDGETS, 1, 1_000_000_000],
  maxRunsPerTenant: ['DPLEDGER_MAX_RUNS', DEFAULT_MAX_RUNS, 1, 1_000_000_000],
};

/**
 * Resolves every setting; throws naming the variable when one is out of range.
 * @example resolveSettings({ maxConnections: 200 }, process.env).requestTimeoutSeconds // 60
 */
export function resolveSettings(
  opts: Partial<ServiceSettings>,
  env: Record<string, string | undefined>,
): ServiceSettings {
  const out = { trustProxy: opts.trustProxy ?? parseTrustProxy(env['DPLEDGER_TRUST_PROXY']) } as ServiceSettings;
  type Entry = [keyof typeof ENV, (typeof ENV)[keyof typeof ENV]];
  for (const [key, [name, dflt, min, max]] of Object.entries(ENV) as Entry[]) {
    const raw = env[name];
    const v = opts[key] ?? (raw === undefined || raw === '' ? dflt : Number(raw));
    if (!Number.isSafeInteger(v) || v < min || v > max) {
      const got = opts[key] ?? raw;
      throw new StartupError('invalid_config', `${name} must be an integer from ${min} to ${max}, got '${got}'`);
    }
    out[key] = v;
  }
  if (out.headersTimeoutSeconds > out.requestTimeoutSeconds) {
    throw new StartupError('invalid_config', 'the headers timeout must not exceed the request timeout');
  }
  return out;
}
