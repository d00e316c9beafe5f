/** The typed client of the accountant service (openapi-fetch over the types generated from openapi.yaml). */
import createFetchClient from 'openapi-fetch';
import type { components, DpEvent, paths } from '@dpledger/api';
import { allPages } from './all-pages.js';
import { DpledgerApiError, errorFromResponse } from './errors.js';
import { retryingFetch, type Fetch } from './retry-fetch.js';

type S = components['schemas'];

export interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Retries of a network error or 5xx answer, with the same Idempotency-Key (default 3). */
  retries?: number;
  fetch?: Fetch;
}

export interface IdempotencyOption {
  /** Generated per call when absent; a retry of the call reuses it. */
  idempotencyKey?: string;
}

/** The audit submission; method, selection and significance take the service's defaults when absent. */
export type AuditBody = Pick<S['AuditSubmit'], 'canary_kind' | 'scores' | 'included'> &
  Partial<Pick<S['AuditSubmit'], 'method' | 'selection' | 'significance'>>;

type Result<T> = { data?: T; error?: unknown; response: Response };

async function unwrap<T>(p: Promise<Result<T>>): Promise<T> {
  let r: Result<T>;
  try {
    r = await p;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new DpledgerApiError(0, 'network_error', `request failed: ${why}`, undefined, { cause: err });
  }
  if (!r.response.ok) throw errorFromResponse(r.response.status, r.error);
  if (r.data === undefined) throw new DpledgerApiError(r.response.status, 'bad_response', 'empty answer');
  return r.data;
}

/** A page of a list: at most `limit` items, after the `cursor` (a previous answer's `next_cursor`). */
export interface PageOptions {
  limit?: number;
  cursor?: string;
}

/** The largest page the service serves (openapi.yaml `ListLimit`). */
const MAX_PAGE = 1000;

const pageQuery = (p: PageOptions) => ({
  ...(p.limit === undefined ? {} : { limit: String(p.limit) }),
  ...(p.cursor === undefined ? {} : { cursor: p.cursor }),
});

const idem = (o?: IdempotencyOption) => ({ 'Idempotency-Key': o?.idempotencyKey ?? globalThis.crypto.randomUUID() });

/**
 * A client bound to one tenant's API key. Every method throws DpledgerApiError (BudgetExhaustedError on 409
 * budget_exhausted).
 * @example
 * const c = createClient({ baseUrl: 'http://127.0.0.1:8080', apiKey });
 * const budget = await c.createBudget({ name: 'mnist', epsilon: 3, delta: 1e-5 });
 */
export function createClient(opts: ClientOptions) {
  const api = createFetchClient<paths>({
    baseUrl: opts.baseUrl.replace(/\/$/, ''),
    headers: { Authorization: `Bearer ${opts.apiKey}` },
    fetch: retryingFetch(opts.fetch ?? ((r) => globalThis.fetch(r)), opts.retries ?? 3),
  });
  const run = (run_id: string) => ({ params: { path: { run_id } } });
  return {
    createBudget: (body: S['BudgetCreate']) => unwrap(api.POST('/v1/budgets', { body })),
    getBudget: (budget_id: string) => unwrap(api.GET('/v1/budgets/{budget_id}', { params: { path: { budget_id } } })),
    /** One page of budgets, newest first (`limit` 1 to 1000, default 100); pass `next_cursor` for the next. */
    listBudgetsPage: (page: PageOptions = {}) => unwrap(api.GET('/v1/budgets', { params: { query: pageQuery(page) } })),
    /** Every budget, following `next_cursor` through all pages. */
    listBudgets: () =>
      allPages(
        (cursor) => unwrap(api.GET('/v1/budgets', { params: { query: pageQuery({ limit: MAX_PAGE, cursor }) } })),
        (page) => page.budgets,
      ),
    createRun: (body: S['RunCreate']) => unwrap(api.POST('/v1/runs', { body })),
    getRun: (runId: string) => unwrap(api.GET('/v1/runs/{run_id}', run(runId))),
    /** One page of runs, newest first, optionally of one budget; pass `next_cursor` for the next. */
    listRunsPage: (page: PageOptions & { budgetId?: string } = {}) =>
      unwrap(
        api.GET('/v1/runs', {
          params: {
            query: { ...pageQuery(page), ...(page.budgetId === undefined ? {} : { budget_id: page.budgetId }) },
          },
        }),
      ),
    /** Every run (of one budget when given), following `next_cursor` through all pages. */
    listRuns: (budgetId?: string) =>
      allPages(
        (cursor) => {
          const budget = budgetId === undefined ? {} : { budget_id: budgetId };
          const query = { ...pageQuery({ limit: MAX_PAGE, cursor }), ...budget };
          return unwrap(api.GET('/v1/runs', { params: { query } }));
        },
        (page) => page.runs,
      ),
    /** `firstSequence`: refused (409 conflict) unless the run has exactly that many records (never forks a run). */
    appendEvents: (runId: string, events: DpEvent[], o?: IdempotencyOption & { firstSequence?: number }) =>
      unwrap(
        api.POST('/v1/runs/{run_id}/events', {
          params: { path: { run_id: runId }, header: idem(o) },
          body: o?.firstSequence === undefined ? { events } : { events, first_sequence: o.firstSequence },
        }),
      ),
    /** Every event record of a run, following `next_cursor` through all pages. */
    listEvents: (runId: string) =>
      allPages(
        (cursor) =>
          unwrap(
            api.GET('/v1/runs/{run_id}/events', { params: { path: { run_id: runId }, query: pageQuery({ cursor }) } }),
          ),
        (page) => page.events,
      ),
    reserve: (runId: string, body: { steps: number; event: DpEvent; ttl_seconds?: number }, o?: IdempotencyOption) =>
      unwrap(
        api.POST('/v1/runs/{run_id}/reservations', { params: { path: { run_id: runId }, header: idem(o) }, body }),
      ),
    commit: (reservationId: string, used: number, o?: IdempotencyOption) =>
      unwrap(
        api.POST('/v1/reservations/{reservation_id}/commit', {
          params: { path: { reservation_id: reservationId }, header: idem(o) },
          body: { used },
        }),
      ),
    /** Submits a one-run audit (canary scores and secret inclusion bits) before closing; answers the signed section. */
    submitAudit: (runId: string, body: AuditBody) =>
      unwrap(api.POST('/v1/runs/{run_id}/audit', { ...run(runId), body: body as S['AuditSubmit'] })),
    closeRun: (runId: string, body: S['RunClose']) =>
      unwrap(api.POST('/v1/runs/{run_id}/close', { ...run(runId), body })),
    /**
     * Mints a run-scoped token (tenant key only): it can reserve, commit, audit and close `runId`, nothing else,
     * until `expires_at` (`ttlSeconds` 60 to 86400, default 3600). Hand it, not the API key, to a browser.
     */
    createRunToken: (runId: string, ttlSeconds?: number) =>
      unwrap(
        api.POST('/v1/runs/{run_id}/tokens', {
          ...run(runId),
          body: ttlSeconds === undefined ? {} : { ttl_seconds: ttlSeconds },
        }),
      ),
    getReport: (runId: string) => unwrap(api.GET('/v1/runs/{run_id}/report', run(runId))),
    getProof: (runId: string, sequence: number) =>
      unwrap(
        api.GET('/v1/runs/{run_id}/proof/{sequence}', {
          params: { path: { run_id: runId, sequence: String(sequence) } },
        }),
      ),
    listKeys: async () => (await unwrap(api.GET('/v1/keys'))).keys,
  };
}

export type DpledgerClient = ReturnType<typeof createClient>;

/** A client of the API-key routes (`/v1/api-keys`), authorized by the service's admin token. */
function adminApi(baseUrl: string, adminToken: string, fetch: Fetch) {
  const headers = { Authorization: `Bearer ${adminToken}` };
  return createFetchClient<paths>({ baseUrl: baseUrl.replace(/\/$/, ''), headers, fetch });
}

/**
 * Creates an API key for `tenant` with the service's admin token; the key is shown only in this answer.
 * @example const { api_key } = await createApiKey(url, adminToken, 'acme')
 */
export async function createApiKey(
  baseUrl: string,
  adminToken: string,
  tenant: string,
  fetch: Fetch = (r) => globalThis.fetch(r),
): Promise<S['ApiKey']> {
  const api = adminApi(baseUrl, adminToken, fetch);
  return unwrap(api.POST('/v1/api-keys', { body: { tenant } }));
}

/**
 * Every API key by id, tenant and state (never a key or its hash), with the service's admin token.
 * @example const keys = await listApiKeys(url, adminToken) // [{ key_id, tenant, created_at, revoked_at? }]
 */
export async function listApiKeys(
  baseUrl: string,
  adminToken: string,
  fetch: Fetch = (r) => globalThis.fetch(r),
): Promise<S['ApiKeyInfo'][]> {
  const api = adminApi(baseUrl, adminToken, fetch);
  return (await unwrap(api.GET('/v1/api-keys'))).api_keys;
}

/**
 * Revokes an API key with the service's admin token; every replica refuses it from its next request on.
 * @example await revokeApiKey(url, adminToken, keyId) // { key_id, tenant, created_at, revoked_at }
 */
export async function revokeApiKey(
  baseUrl: string,
  adminToken: string,
  keyId: string,
  fetch: Fetch = (r) => globalThis.fetch(r),
): Promise<S['ApiKeyInfo']> {
  const api = adminApi(baseUrl, adminToken, fetch);
  return unwrap(api.DELETE('/v1/api-keys/{key_id}', { params: { path: { key_id: keyId } } }));
}

/**
 * The service's public keys (no auth), for offline verification of reports.
 * @example const keys = await fetchKeys(url)
 */
export async function fetchKeys(baseUrl: string, fetch: Fetch = (r) => globalThis.fetch(r)): Promise<S['Jwk'][]> {
  const api = createFetchClient<paths>({ baseUrl: baseUrl.replace(/\/$/, ''), fetch });
  return (await unwrap(api.GET('/v1/keys'))).keys;
}
