/** The event log of a run: paged reads, appends (filter before release) and reservations. */
import type { Router } from 'express';
import { ServiceError } from '../errors.js';
import { callerOf } from '../http/request-hash.js';
import { tenantOf, type Ctx } from '../http/context.js';
import { runScopeOf } from '../http/guards.js';
import { sideEffect } from '../http/metrics.js';
import { appendEvents } from '../ledger/engine.js';
import { logDue } from '../ledger/expiry.js';
import { commitReservation, reserve } from '../ledger/reservations.js';

/** Page size of `GET /v1/runs/{id}/events` when the request names none, and the largest allowed. */
export const DEFAULT_PAGE = 1000;
export const MAX_PAGE = 5000;

export function eventRoutes(r: Router, ctx: Ctx): void {
  const { requireTenant, requireRunToken } = ctx.guards;

  r.get('/v1/runs/:run_id/events', requireTenant, async (req, res) => {
    await logDue(ctx.engine, tenantOf(res));
    const run = await ctx.store.getRun(tenantOf(res), req.params['run_id']!);
    if (run === undefined) throw new ServiceError('not_found', `run ${req.params['run_id']} not found`);
    const cursor = typeof req.query['cursor'] === 'string' ? Number(req.query['cursor']) : -1;
    const limitRaw = typeof req.query['limit'] === 'string' ? Number(req.query['limit']) : DEFAULT_PAGE;
    const limit = Math.min(MAX_PAGE, Math.max(1, limitRaw));
    const events = await ctx.store.listEvents(run.id, cursor, limit);
    const last = events[events.length - 1];
    res.json(
      last !== undefined && events.length === limit && last.sequence < run.event_count - 1
        ? { events, next_cursor: String(last.sequence) }
        : { events },
    );
  });

  r.post('/v1/runs/:run_id/events', requireTenant, async (req, res) => {
    const { events, first_sequence } = req.body as { events: unknown[]; first_sequence?: number };
    await logDue(ctx.engine, tenantOf(res));
    const answer = await appendEvents(
      ctx.engine,
      callerOf(req, tenantOf(res)),
      req.params['run_id']!,
      events,
      first_sequence,
    );
    if (!answer.replayed) sideEffect(ctx.logger, () => ctx.metrics.appended.inc(events.length));
    res.status(answer.status).json(answer.body);
  });

  r.post('/v1/runs/:run_id/reservations', requireRunToken, async (req, res) => {
    const body = req.body as { steps: number; event: unknown; ttl_seconds?: number };
    const answer = await reserve(
      ctx.engine,
      callerOf(req, tenantOf(res), runScopeOf(res)),
      req.params['run_id']!,
      body,
    );
    res.status(answer.status).json(answer.body);
  });

  r.post('/v1/reservations/:reservation_id/commit', requireRunToken, async (req, res) => {
    const used = (req.body as { used: number }).used;
    // no run in the path: a run token's caller carries its run, and commitReservation refuses another run's
    const answer = await commitReservation(
      ctx.engine,
      callerOf(req, tenantOf(res), runScopeOf(res)),
      req.params['reservation_id']!,
      used,
    );
    if (!answer.replayed) sideEffect(ctx.logger, () => ctx.metrics.appended.inc(used));
    res.status(answer.status).json(answer.body);
  });
}
