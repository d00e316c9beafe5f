/**
 * Periodic housekeeping of a running accountant: idempotency records past their retention are purged (each
 * leaves a tombstone, so a late replay is refused, never applied twice), expired dashboard sessions are
 * deleted, and the SQLite write-ahead log is checkpointed and truncated so it does not grow without bound.
 *
 * Why tombstones and not a client timestamp: a retry's safety must not depend on the client's clock or on it
 * sending a timestamp at all; a purged key whose request came back without its answer would otherwise be
 * applied a second time. A tombstone (tenant, SHA-256 of the key; about 100 bytes, kept for good) makes the
 * answer exact: any purged key is refused with 422 idempotency_expired for ever, while the bulky stored answers
 * (the part that grew without bound) are deleted.
 */
import type { Logger } from 'pino';
import type { Store } from './store/store.js';

/** How long an idempotent answer is kept (and so how late a retry still gets it) when not configured: 7 days. */
export const DEFAULT_IDEMPOTENCY_RETENTION_DAYS = 7;
/** How often housekeeping runs: hourly. */
export const DEFAULT_MAINTENANCE_INTERVAL_MS = 3_600_000;

export interface MaintenanceOptions {
  idempotencyRetentionDays: number;
  sessionIdleMs: number;
  sessionMaxAgeMs: number;
  intervalMs?: number;
  now?: () => Date;
  logger?: Logger;
}

export interface Maintenance {
  /** One housekeeping pass now. */
  runOnce(): Promise<{ idempotency: number; sessions: number }>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

/**
 * Starts housekeeping on a timer that does not keep the process alive.
 * @example const m = startMaintenance(store, { idempotencyRetentionDays: 7, sessionIdleMs, sessionMaxAgeMs }); m.stop()
 */
export function startMaintenance(store: Store, opts: MaintenanceOptions): Maintenance {
  const now = opts.now ?? (() => new Date());
  let running: Promise<{ idempotency: number; sessions: number }> | undefined;
  const runOnce = () => {
    running ??= (async () => {
      try {
        const t = now().getTime();
        const purged = await store.purge({
          idempotencyBefore: new Date(t - opts.idempotencyRetentionDays * 86_400_000).toISOString(),
          sessionsIdleBefore: t - opts.sessionIdleMs,
          sessionsCreatedBefore: t - opts.sessionMaxAgeMs,
        });
        await store.checkpoint();
        opts.logger?.info({ purged_idempotency: purged.idempotency, purged_sessions: purged.sessions }, 'maintenance');
        return purged;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(() => {
    runOnce().catch((err: unknown) => opts.logger?.error({ err }, 'maintenance failed'));
  }, opts.intervalMs ?? DEFAULT_MAINTENANCE_INTERVAL_MS);
  timer.unref();
  return {
    runOnce,
    stop: async () => {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
