/** Runs: one training run's ledger, bound to a budget; closing one signs its report. */
import type { Router } from 'express';
import type { components } from '@dpledger/accounting/openapi';
import { ServiceError } from '../errors.js';
import { newId } from '../ids.js';
import { callerOf } from '../http/request-hash.js';
import { tenantOf, type Ctx } from '../http/context.js';
import { runView } from '../http/views.js';
import { LIMITS, checkLimit } from '../ledger/limits.js';
import { closeRun } from '../ledger/reservations.js';
import { issueReport } from '../report/issue-report.js';
import type { RunRow } from '../store/store.js';

/** Largest accepted run metadata, as JSON (openapi.yaml RunCreate.metadata). */
export const MAX_METADATA_BYTES = 16 * 1024;

export function runRoutes(r: Router, ctx: Ctx): void {
  r.get('/v1/runs', async (req, res) => {
    const budgetId = req.query['budget_id'];
    res.json({ runs: (await ctx.store.listRuns(tenantOf(res), typeof budgetId === 'string' ? budgetId : undefined)).map(runView) });
  });

  r.post('/v1/runs', async (req, res) => {
    const body = req.body as components['schemas']['RunCreate'];
    const tenant = tenantOf(res);
    if (body.metadata !== undefined && Buffer.byteLength(JSON.stringify(body.metadata)) > MAX_METADATA_BYTES) {
      throw new ServiceError('validation_failed', `metadata is larger than ${MAX_METADATA_BYTES} bytes`, { pointer: '/metadata' });
    }
    const run = await ctx.store.write(async (tx) => {
      const budget = await tx.getBudget(tenant, body.budget_id);
      if (budget === undefined) throw new ServiceError('not_found', `budget ${body.budget_id} not found`, { pointer: '/budget_id' });
      checkLimit('runs of this tenant', (await tx.countOwned(tenant, 'runs')) + 1, LIMITS.runsPerTenant);
      const row: RunRow = {
        id: newId('run'),
        tenant,
        budget_id: budget.id,
        name: body.name,
        sampler: body.sampler,
        ...(body.noise_rng !== undefined ? { noise_rng: body.noise_rng } : {}),
        ...(body.metadata !== undefined ? { metadata: body.metadata } : {}),
        status: 'open',
        event_count: 0,
        epsilon_spent: 0,
        rdp: ctx.meters.rdp(budget.neighboring_relation).zero(),
        ledger: [],
        created_at: ctx.now().toISOString(),
      };
      await tx.insertRun(row);
      await tx.updateBudget({ ...budget, run_count: budget.run_count + 1 });
      return row;
    });
    res.status(201).json(runView(run));
  });

  r.get('/v1/runs/:run_id', async (req, res) => {
    const run = await ctx.store.getRun(tenantOf(res), req.params['run_id']!);
    if (run === undefined) throw new ServiceError('not_found', `run ${req.params['run_id']} not found`);
    res.json(runView(run));
  });

  r.post('/v1/runs/:run_id/close', async (req, res) => {
    const body = req.body as components['schemas']['RunClose'];
    const closed = await closeRun(ctx.engine, callerOf(req, tenantOf(res)), req.params['run_id']!, body);
    await issueReport(ctx, closed);
    res.json(runView(closed));
  });
}
