/** Runs: one training run's ledger, bound to a budget; closing one signs its report. */
import type { Router } from 'express';
import type { components } from '@dpledger/api';
import { ServiceError } from '../errors.js';
import { createRun } from '../ledger/create-run.js';
import { callerOf } from '../http/request-hash.js';
import { tenantOf, type Ctx } from '../http/context.js';
import { runScopeOf } from '../http/guards.js';
import { pageAnswer, pageOf } from '../http/pagination.js';
import { runView } from '../http/views.js';
import { submitAudit } from '../ledger/audit.js';
import { logDue } from '../ledger/expiry.js';
import { liveRun } from '../ledger/live-figures.js';
import { closeRun } from '../ledger/reservations.js';
import { issueReport } from '../report/issue-report.js';

export { MAX_METADATA_BYTES } from '../ledger/create-run.js';

export function runRoutes(r: Router, ctx: Ctx): void {
  const { requireTenant, requireRunToken } = ctx.guards;

  r.get('/v1/runs', requireTenant, async (req, res) => {
    const budgetId = req.query['budget_id'];
    await logDue(ctx.engine, tenantOf(res));
    const page = pageOf(req);
    const rows = await ctx.store.listRuns(tenantOf(res), typeof budgetId === 'string' ? budgetId : undefined, page);
    const { items, next_cursor } = pageAnswer(rows, page.size);
    const runs = await Promise.all(items.map(async (r) => runView(await liveRun(ctx, r))));
    res.json(next_cursor === undefined ? { runs } : { runs, next_cursor });
  });

  r.post('/v1/runs', requireTenant, async (req, res) => {
    const run = await createRun(ctx, tenantOf(res), req.body as components['schemas']['RunCreate']);
    res.status(201).json(runView(run));
  });

  r.get('/v1/runs/:run_id', requireTenant, async (req, res) => {
    await logDue(ctx.engine, tenantOf(res));
    const run = await ctx.store.getRun(tenantOf(res), req.params['run_id']!);
    if (run === undefined) throw new ServiceError('not_found', `run ${req.params['run_id']} not found`);
    res.json(runView(await liveRun(ctx, run)));
  });

  r.post('/v1/runs/:run_id/audit', requireRunToken, async (req, res) => {
    const audit = await submitAudit(
      ctx.engine,
      callerOf(req, tenantOf(res), runScopeOf(res)),
      req.params['run_id']!,
      req.body as components['schemas']['AuditSubmit'],
    );
    res.status(201).json(audit);
  });

  r.post('/v1/runs/:run_id/close', requireRunToken, async (req, res) => {
    const body = req.body as components['schemas']['RunClose'];
    const closed = await closeRun(
      ctx.engine,
      callerOf(req, tenantOf(res), runScopeOf(res)),
      req.params['run_id']!,
      body,
    );
    await issueReport(ctx, closed);
    res.json(runView(closed));
  });
}
