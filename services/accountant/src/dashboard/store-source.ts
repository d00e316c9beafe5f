/** The dashboard's view of the service: its Store (tenant-scoped reads), its hashed API keys and its key ring. */
import { sha256Hex } from '../ids.js';
import { budgetView, runView } from '../http/views.js';
import type { KeyRing } from '../keys/key-ring.js';
import { liveBudget, liveRun, type LiveDeps } from '../ledger/live-figures.js';
import { allRecords } from '../store/record-pages.js';
import type { BudgetRow, RunRow, Store } from '../store/store.js';
import type { DashboardEnvelope, DashboardEventRecord, DashboardSource } from './source.js';

const PAGE = 5000;

/**
 * Adapts the service's Store and KeyRing to what the dashboard reads. API keys are checked exactly as the API
 * checks a bearer key (by hash); every read is scoped to the tenant, and the event log only of a run it owns.
 * @example createDashboardRouter({ source: storeSource(store, keys) })
 */
export function storeSource(store: Store, keys: KeyRing, live?: Omit<LiveDeps, 'store'>): DashboardSource {
  // With meters and a clock, figures are read live like the API's (expired holds count as spent).
  const deps = live === undefined ? undefined : { ...live, store };
  const budget = async (b: BudgetRow) => budgetView(deps === undefined ? b : await liveBudget(deps, b));
  const run = async (r: RunRow) => runView(deps === undefined ? r : await liveRun(deps, r));
  return {
    authenticate: async (apiKey) => {
      const key = await store.apiKeyForHash(sha256Hex(apiKey));
      return key === undefined ? undefined : { tenant: key.tenant, keyId: key.key_id };
    },
    listBudgets: async (tenant) => Promise.all((await store.listBudgets(tenant)).map(budget)),
    listRuns: async (tenant) => Promise.all((await store.listRuns(tenant)).map(run)),
    getRun: async (tenant, runId) => {
      const row = await store.getRun(tenant, runId);
      return row === undefined ? undefined : run(row);
    },
    listEvents: async (tenant, runId) => {
      if ((await store.getRun(tenant, runId)) === undefined) return [];
      return allRecords<DashboardEventRecord>((after, limit) => store.listEvents(runId, after, limit), { limit: PAGE });
    },
    listEventsAfter: async (tenant, runId, after, limit) =>
      (await store.getRun(tenant, runId)) === undefined ? [] : store.listEvents(runId, after, limit),
    getReport: async (tenant, runId) =>
      (await store.getReport(tenant, runId))?.envelope as DashboardEnvelope | undefined,
    listKeys: async () => {
      await keys.refresh();
      return keys.jwks();
    },
  };
}
