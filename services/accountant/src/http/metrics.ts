/** Prometheus metrics (prom-client), one registry per app so tests and in-process servers do not collide. */
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServiceMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  latency: Histogram<'method' | 'route'>;
  appended: Counter<string>;
  refusals: Counter<'code'>;
  overspent: Counter<string>;
}

/**
 * A fresh registry with the service's metrics (and the process defaults when `defaults`).
 * @example const m = createMetrics(); m.appended.inc(100)
 */
export function createMetrics(defaults = false): ServiceMetrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'dpledger_http_requests_total',
      help: 'HTTP requests by route and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'dpledger_http_request_duration_seconds',
      help: 'HTTP request latency.',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    appended: new Counter({
      name: 'dpledger_event_records_appended_total',
      help: 'Event records written (appends and commits).',
      registers: [registry],
    }),
    overspent: new Counter({
      name: 'dpledger_budget_overspent_total',
      help: 'Budgets found spent beyond their limit after recording steps already taken (a bug or an expiry race).',
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'dpledger_refusals_total',
      help: 'Requests refused, by problem code (budget_exhausted is the filter).',
      labelNames: ['code'],
      registers: [registry],
    }),
  };
}

/**
 * Runs a metrics or logging side effect that must never fail a request: after a commit the write is done, so a
 * throwing counter (prom-client refuses a negative increment) may not turn it into a 500.
 * @example sideEffect(ctx.logger, () => ctx.metrics.appended.inc(n))
 */
export function sideEffect(logger: Logger | undefined, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    try {
      logger?.warn({ err }, 'metrics or logging failed');
    } catch {
      // A failing logger has nowhere left to report to.
    }
  }
}

/**
 * Database connection pool gauges (PostgreSQL): connections open, idle, in use, the most allowed, and requests
 * waiting for one; read when /metrics is scraped.
 * @example registerPoolMetrics(metrics, () => store.poolStats())
 */
export function registerPoolMetrics(
  metrics: ServiceMetrics,
  stats: () => { total: number; idle: number; waiting: number; max: number },
): void {
  const gauge = (name: string, help: string, pick: (s: ReturnType<typeof stats>) => number) =>
    new Gauge({
      name,
      help,
      registers: [metrics.registry],
      collect() {
        this.set(pick(stats()));
      },
    });
  gauge('dpledger_db_pool_connections', 'Database connections open.', (s) => s.total);
  gauge('dpledger_db_pool_idle', 'Database connections open and idle.', (s) => s.idle);
  gauge('dpledger_db_pool_in_use', 'Database connections serving a request.', (s) => s.total - s.idle);
  gauge('dpledger_db_pool_max', 'Most database connections this replica opens.', (s) => s.max);
  gauge('dpledger_db_pool_waiting', 'Requests waiting for a database connection.', (s) => s.waiting);
}
