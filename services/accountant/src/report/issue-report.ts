/** Signs and stores a closed run's report once; later calls return the stored (immutable) one. */
import { ServiceError } from '../errors.js';
import type { Ctx } from '../http/context.js';
import type { ReportRow, RunRow } from '../store/store.js';
import { signRunReport } from './build-report.js';
import { runCommitment } from './merkle-proof.js';

/**
 * The report of a closed run, signing it with the active key when it has none yet.
 * @example const { envelope } = await issueReport(ctx, run)
 */
export async function issueReport(ctx: Ctx, run: RunRow): Promise<ReportRow> {
  if (run.status !== 'closed') throw new ServiceError('run_open', `run ${run.id} is still open`);
  const existing = await ctx.store.getReport(run.tenant, run.id);
  if (existing !== undefined) return existing;
  const budget = await ctx.store.getBudget(run.tenant, run.budget_id);
  if (budget === undefined) throw new ServiceError('internal', `budget of run ${run.id} is missing`);
  const merkle = await runCommitment(ctx.store, run);
  // The PLD figure is computed off the event loop (a worker with a time limit); none in time means `pld: null`.
  // An accountant error here is met again (and handled) when the predicate is built.
  await ctx.meters.pldEpsilonSettled(budget.neighboring_relation, run.ledger, budget.delta).catch(() => Infinity);
  const key = ctx.keys.active;
  const issuedAt = ctx.now().toISOString();
  const envelope = signRunReport({
    run,
    budget,
    merkle,
    meters: ctx.meters,
    key,
    issuedAt,
    version: ctx.config.version,
  });
  return ctx.store.putReport({ run_id: run.id, tenant: run.tenant, kid: key.kid, envelope, created_at: issuedAt });
}
