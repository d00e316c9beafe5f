/** Budgets: an (epsilon, delta) limit shared by the runs that train on one dataset. */
import type { Router } from 'express';
import type { components } from '@dpledger/accounting/openapi';
import { ServiceError } from '../errors.js';
import { newId } from '../ids.js';
import { tenantOf, type Ctx } from '../http/context.js';
import { budgetView } from '../http/views.js';
import { LIMITS, checkLimit } from '../ledger/limits.js';
import type { BudgetRow } from '../store/store.js';

export function budgetRoutes(r: Router, ctx: Ctx): void {
  r.get('/v1/budgets', async (_req, res) => {
    res.json({ budgets: (await ctx.store.listBudgets(tenantOf(res))).map(budgetView) });
  });

  r.post('/v1/budgets', async (req, res) => {
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
    await ctx.store.write(async (tx) => {
      checkLimit('budgets of this tenant', (await tx.countOwned(row.tenant, 'budgets')) + 1, LIMITS.budgetsPerTenant);
      await tx.insertBudget(row);
    });
    res.status(201).json(budgetView(row));
  });

  r.get('/v1/budgets/:budget_id', async (req, res) => {
    const b = await ctx.store.getBudget(tenantOf(res), req.params['budget_id']!);
    if (b === undefined) throw new ServiceError('not_found', `budget ${req.params['budget_id']} not found`);
    res.json(budgetView(b));
  });
}
