/** Runs: one training run's ledger, bound to a budget; closing one signs its report. */
import type { Router } from 'express';
import { deltaTooLarge } from '@dpledger/accounting';
import type { components } from '@dpledger/accounting/openapi';
import { ServiceError } from '../errors.js';
import { newId } from '../ids.js';
import { callerOf } from '../http/request-hash.js';
import { tenantOf, type Ctx } from '../http/context.js';
import { runScopeOf } from '../http/guards.js';
import { pageAnswer, pageOf } from '../http/pagination.js';
import { runView } from '../http/views.js';
import { submitAudit } from '../ledger/audit.js';
import { logDue } from '../ledger/expiry.js';
import { nextBudget } from '../ledger/invariants.js';
import { liveRun } from '../ledger/live-figures.js';
import { closeRun } from '../ledger/reservations.js';
import { issueReport } from '../report/issue-report.js';
import type { RunRow } from '../store/store.js';

/** Largest accepted run metadata, as JSON (openapi.yaml RunCreate.metadata). */
export const MAX_METADATA_BYTES = 16 * 1024;

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
    const body = req.body as components['schemas']['RunCreate'];
    const tenant = tenantOf(res);
    if (body.metadata !== undefined && Buffer.byteLength(JSON.stringify(body.metadata)) > MAX_METADATA_BYTES) {
      throw new ServiceError('validation_failed', `metadata is larger than ${MAX_METADATA_BYTES} bytes`, { pointer: '/metadata' });
    }
    const run = await ctx.store.write(async (tx) => {
      const budget = await tx.getBudget(tenant, body.budget_id);
      if (budget === undefined) throw new ServiceError('not_found', `budget ${body.budget_id} not found`, { pointer: '/budget_id' });
      if (body.sampler.kind === 'shuffle' && budget.neighboring_relation !== 'replace_one') {
        // the per-step shuffle bound needs n fixed (replace_one); under add_or_remove_one the epochs misalign (Chua et al. 2024)
        throw new ServiceError('validation_failed', `a shuffle run is accounted under replace_one only; budget ${budget.id} is ${budget.neighboring_relation}`, { pointer: '/sampler/kind' });
      }
      // the run declares its dataset size: the budget's delta must be below 1/n unless the caller says otherwise
      const tooLarge = deltaTooLarge(budget.delta, body.sampler.dataset_size);
      if (tooLarge !== null && body.allow_large_delta !== true) {
        throw new ServiceError('delta_too_large', `budget ${budget.id}: ${tooLarge}; send allow_large_delta: true to accept it`, { pointer: '/sampler/dataset_size' });
      }
      const limit = ctx.config.maxRunsPerTenant;
      if ((await tx.countRuns(tenant)) >= limit) throw new ServiceError('limit_exceeded', `a tenant may hold at most ${limit} runs`, { limit });
      const row: RunRow = {
        id: newId('run'),
        tenant,
        budget_id: budget.id,
        name: body.name,
        sampler: body.sampler,
        ...(body.noise_rng !== undefined ? { noise_rng: body.noise_rng } : {}),
        ...(body.metadata !== undefined ? { metadata: body.metadata } : {}),
        ...(tooLarge !== null ? { allow_large_delta: true as const } : {}),
        status: 'open',
        event_count: 0,
        epsilon_spent: 0,
        rdp: ctx.meters.rdp(budget.neighboring_relation).zero(),
        ledger: [],
        created_at: ctx.now().toISOString(),
      };
      await tx.insertRun(row);
      await tx.updateBudget(nextBudget(budget, { ...budget, run_count: budget.run_count + 1 }));
      return row;
    });
    res.status(201).json(runView(run));
  });

  r.get('/v1/runs/:run_id', requireTenant, async (req, res) => {
    await logDue(ctx.engine, tenantOf(res));
    const run = await ctx.store.getRun(tenantOf(res), req.params['run_id']!);
    if (run === undefined) throw new ServiceError('not_found', `run ${req.params['run_id']} not found`);
    res.json(runView(await liveRun(ctx, run)));
  });

  r.post('/v1/runs/:run_id/audit', requireRunToken, async (req, res) => {
    const audit = await submitAudit(ctx.engine, callerOf(req, tenantOf(res), runScopeOf(res)), req.params['run_id']!, req.body as components['schemas']['AuditSubmit']);
    res.status(201).json(audit);
  });

  r.post('/v1/runs/:run_id/close', requireRunToken, async (req, res) => {
    const body = req.body as components['schemas']['RunClose'];
    const closed = await closeRun(ctx.engine, callerOf(req, tenantOf(res), runScopeOf(res)), req.params['run_id']!, body);
    await issueReport(ctx, closed);
    res.json(runView(closed));
  });
}
