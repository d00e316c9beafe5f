/**
 * Budget and run figures as of the moment they are read, without writing: a reservation past its expiry no
 * longer holds budget but counts as spent in full (all its reserved steps: the trainer may have used them,
 * and expiry logs them as used), and a live one counts as held.
 */
import type { DpEvent } from '@dpledger/accounting';
import type { BudgetRow, ReservationRow, RunRow, Store } from '../store/store.js';
import { figures } from './figures.js';
import type { Meters } from './meters.js';

export interface LiveDeps {
  store: Store;
  meters: Meters;
  now: () => Date;
}

const held = (r: ReservationRow): DpEvent => ({ kind: 'self_composed', count: r.steps, event: r.event });

async function split(store: Store, budgetId: string, now: Date) {
  const open = await store.openReservations(budgetId);
  const t = now.getTime();
  return {
    live: open.filter((r) => Date.parse(r.expires_at) > t),
    expired: open.filter((r) => Date.parse(r.expires_at) <= t),
  };
}

/**
 * A budget with its figures recomputed at read time (the stored row when no reservation has expired since the
 * last write, which is then exact).
 * @example res.json(budgetView(await liveBudget(ctx, row)))
 */
export async function liveBudget(deps: LiveDeps, budget: BudgetRow): Promise<BudgetRow> {
  const { live, expired } = await split(deps.store, budget.id, deps.now());
  if (expired.length === 0) return budget;
  const meter = deps.meters.rdp(budget.neighboring_relation);
  const f = figures(deps.meters, budget, {
    committedRdp: expired.reduce((acc, r) => meter.add(acc, [r.event], r.steps), budget.rdp),
    heldRdp: live.reduce((acc, r) => meter.add(acc, [r.event], r.steps), meter.zero()),
    committedLedger: [...budget.ledger, ...expired.map(held)],
    heldEvents: live.map(held),
  });
  return {
    ...budget,
    epsilon_spent: f.epsilon_spent,
    epsilon_reserved: f.epsilon_reserved,
    spent_accountant: f.spent_accountant,
    reserved_accountant: f.reserved_accountant,
  };
}

/**
 * A run with its own expired, uncommitted reservations counted as spent (RDP, like every run figure).
 * @example res.json(runView(await liveRun(ctx, row)))
 */
export async function liveRun(deps: LiveDeps, run: RunRow): Promise<RunRow> {
  if (run.status !== 'open') return run;
  const { expired } = await split(deps.store, run.budget_id, deps.now());
  const mine = expired.filter((r) => r.run_id === run.id);
  if (mine.length === 0) return run;
  const budget = await deps.store.getBudget(run.tenant, run.budget_id);
  if (budget === undefined) return run;
  const meter = deps.meters.rdp(budget.neighboring_relation);
  const rdp = mine.reduce((acc, r) => meter.add(acc, [r.event], r.steps), run.rdp);
  return { ...run, epsilon_spent: Math.max(run.epsilon_spent, meter.epsilon(rdp, budget.delta).epsilon) };
}
