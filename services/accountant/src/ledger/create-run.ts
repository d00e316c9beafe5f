/** Creating a run on a tenant's budget: shared by `POST /v1/runs` and the `/train` page (which uses a session). */
import { deltaTooLarge } from '@dpledger/accounting';
import type { components } from '@dpledger/api';
import { ServiceError } from '../errors.js';
import type { Ctx } from '../http/context.js';
import { newId } from '../ids.js';
import type { RunRow } from '../store/store.js';
import { nextBudget } from './invariants.js';

/** Largest accepted run metadata, as JSON (openapi.yaml RunCreate.metadata). */
export const MAX_METADATA_BYTES = 16 * 1024;

/**
 * Creates an open run of `tenant` on `body.budget_id` in one transaction (a refusal writes nothing).
 * @example
 * const sampler = { kind: 'poisson', dataset_size: 1000, expected_batch_size: 10 } as const;
 * const run = await createRun(ctx, 'acme', { budget_id, name: 'r', sampler });
 */
export async function createRun(
  ctx: Pick<Ctx, 'store' | 'meters' | 'now' | 'config'>,
  tenant: string,
  body: components['schemas']['RunCreate'],
): Promise<RunRow> {
  if (body.metadata !== undefined && Buffer.byteLength(JSON.stringify(body.metadata)) > MAX_METADATA_BYTES) {
    throw new ServiceError('validation_failed', `metadata is larger than ${MAX_METADATA_BYTES} bytes`, {
      pointer: '/metadata',
    });
  }
  return ctx.store.write(
    async (tx) => {
      const budget = await tx.getBudget(tenant, body.budget_id);
      if (budget === undefined)
        throw new ServiceError('not_found', `budget ${body.budget_id} not found`, { pointer: '/budget_id' });
      if (body.sampler.kind === 'shuffle' && budget.neighboring_relation !== 'replace_one') {
        // the per-step shuffle bound needs n fixed (replace_one); under add_or_remove_one the epochs misalign (Chua et
        // al. 2024)
        throw new ServiceError(
          'validation_failed',
          `a shuffle run is accounted under replace_one only; budget ${budget.id} is ${budget.neighboring_relation}`,
          { pointer: '/sampler/kind' },
        );
      }
      // the run declares its dataset size: the budget's delta must be below 1/n unless the caller says otherwise
      const tooLarge = deltaTooLarge(budget.delta, body.sampler.dataset_size);
      if (tooLarge !== null && body.allow_large_delta !== true) {
        throw new ServiceError(
          'delta_too_large',
          `budget ${budget.id}: ${tooLarge}; send allow_large_delta: true to accept it`,
          { pointer: '/sampler/dataset_size' },
        );
      }
      const limit = ctx.config.maxRunsPerTenant;
      if ((await tx.countRuns(tenant)) >= limit)
        throw new ServiceError('limit_exceeded', `a tenant may hold at most ${limit} runs`, { limit });
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
    },
    { tenant },
  );
}
