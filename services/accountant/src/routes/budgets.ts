/** Budgets: an (epsilon, delta) limit shared by the runs that train on one dataset. */
import type { Router } from 'express';
import type { components } from '@dpledger/api';
import { ServiceError } from '../errors.js';
import { newId } from '../ids.js';
import { tenantOf, type Ctx } from '../http/context.js';
import { pageAnswer, pageOf } from '../http/pagination.js';
import { budgetView } from '../http/views.js';
import { logDue } from '../ledger/expiry.js';
import { liveBudget } from '../ledger/live-figures.js';
import type { BudgetRow } from '../store/store.js';

export function budgetRoutes(r: Router, ctx: Ctx): void {
  const { requireTenant } = ctx.guards;

  r.get('/v1/budgets', requireTenant, async (req, res) => {
    await logDue(ctx.engine, tenantOf(res));
    const page = pageOf(req);
    const { items, next_cursor } = pageAnswer(await ctx.store.listBudgets(tenantOf(res), page), page.size);
    const budgets = await Promise.all(items.map(async (b) => budgetView(await liveBudget(ctx, b))));
    res.json(next_cursor === undefined ? { budgets } : { budgets, next_cursor });
  });

  r.post('/v1/budgets', requireTenant, async (req, res) => {
    const body = req.body as components['schemas']['BudgetCreate'];
    const relation = body.neighboring_relation ?? 'add_or_remove_one';
    const row: BudgetRow = {
      id: newId('bud'),
      tenant: tenantOf(res),
      name: body.name,
      ...(body.description !== undefined ? { description: body.description } : {}),
      epsilon: body.epsilon,
      delta: body.delta,
      accountant: body.accountant ?? 'rdp',
      neighboring_relation: relation,
      created_at: ctx.now().toISOString(),
      epsilon_spent: 0,
      epsilon_reserved: 0,
      rdp: ctx.meters.rdp(relation).zero(),
      ledger: [],
      run_count: 0,
    };
    await ctx.store.write(
      async (tx) => {
        const limit = ctx.config.maxBudgetsPerTenant;
        if ((await tx.countBudgets(row.tenant)) >= limit)
          throw new ServiceError('limit_exceeded', `a tenant may hold at most ${limit} budgets`, { limit });
        await tx.insertBudget(row);
      },
      { tenant: row.tenant },
    );
    res.status(201).json(budgetView(row));
  });

  r.get('/v1/budgets/:budget_id', requireTenant, async (req, res) => {
    await logDue(ctx.engine, tenantOf(res));
    const b = await ctx.store.getBudget(tenantOf(res), req.params['budget_id']!);
    if (b === undefined) throw new ServiceError('not_found', `budget ${req.params['budget_id']} not found`);
    res.json(budgetView(await liveBudget(ctx, b)));
  });
}
