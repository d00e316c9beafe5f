/**
 * @dpledger/client's own suite, against a real accountant started in-process on port 0 (no fake server): typed errors,
 * idempotent retries, paging, run tokens, admin calls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RdpAccountant } from '@dpledger/accounting';
import { startAccountant, type RunningAccountant } from '@dpledger/accountant';
import {
  BudgetExhaustedError,
  DpledgerApiError,
  createApiKey,
  createClient,
  fetchKeys,
  listApiKeys,
  revokeApiKey,
  retryingFetch,
} from '@dpledger/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorFromResponse } from './errors.js';

const dir = mkdtempSync(join(tmpdir(), 'dpledger-client-'));
let svc: RunningAccountant;
let apiKey: string;
beforeAll(async () => {
  svc = await startAccountant({
    port: 0,
    dataDir: dir,
    adminToken: 'client-test-admin-token-0123',
    logLevel: 'silent',
  });
  apiKey = (await createApiKey(svc.url, svc.adminToken, 'client')).api_key;
});
afterAll(async () => {
  await svc.close();
  rmSync(dir, { recursive: true, force: true });
});

const step = {
  kind: 'poisson_sampled',
  sampling_probability: 0.01,
  event: { kind: 'gaussian', noise_multiplier: 1.1 },
} as const;
const sampler = { kind: 'poisson', dataset_size: 60000, expected_batch_size: 600 } as const;

async function freshRun(epsilon = 10) {
  const c = createClient({ baseUrl: svc.url, apiKey });
  const budget = await c.createBudget({ name: 'b', epsilon, delta: 1e-5 });
  return { c, budget, run: await c.createRun({ budget_id: budget.id, name: 'r', sampler }) };
}

describe('@dpledger/client', () => {
  it('mints a run token; a client on that token reserves, commits and closes the run and reads nothing', async () => {
    const { c, run } = await freshRun();
    const minted = await c.createRunToken(run.id, 600);
    expect(minted.run_id).toBe(run.id);
    const scoped = createClient({ baseUrl: svc.url, apiKey: minted.token });
    const r = await scoped.reserve(run.id, { steps: 3, event: step });
    await scoped.commit(r.id, 3);
    await expect(scoped.listBudgets()).rejects.toMatchObject({ status: 401 });
    await expect(scoped.getRun(run.id)).rejects.toMatchObject({ status: 401 });
    await expect(scoped.createRunToken(run.id)).rejects.toMatchObject({ status: 401 });
    const closed = await scoped.closeRun(run.id, {
      model_digest: { sha256: 'a'.repeat(64) },
      dataset_digest: { sha256: 'b'.repeat(64) },
    });
    expect(closed).toMatchObject({ status: 'closed', event_count: 3 });
  });

  it('retries a lost response and a 5xx with the same Idempotency-Key, and the service counts once', async () => {
    const { run } = await freshRun();
    const keys: string[] = [];
    let calls = 0;
    const flaky = async (req: Request) => {
      calls++;
      keys.push(req.headers.get('Idempotency-Key') ?? '');
      if (calls === 1) return new Response('{}', { status: 503 });
      const res = await fetch(req);
      if (calls === 2) throw new TypeError('socket hang up (response lost after the server stored it)');
      return res;
    };
    const c = createClient({ baseUrl: svc.url, apiKey, fetch: flaky });
    const answer = await c.appendEvents(run.id, [step, step]);
    expect(calls).toBe(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer).toMatchObject({ sequence: 1, event_count: 2 });
    expect((await c.getRun(run.id)).event_count).toBe(2);
  });

  it('a reservation retried after a lost answer holds budget once; a replayed key gets the first answer', async () => {
    const { budget, run } = await freshRun();
    let calls = 0;
    const lossy = async (req: Request) => {
      const res = await fetch(req);
      if (++calls === 1) throw new TypeError('socket hang up (response lost after the server stored it)');
      return res;
    };
    const c = createClient({ baseUrl: svc.url, apiKey, fetch: lossy });
    const first = await c.reserve(run.id, { steps: 40, event: step });
    expect(calls).toBe(2);
    const epsilonOf = (steps: number) =>
      new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(step, steps).getEpsilon(1e-5);
    expect((await c.getBudget(budget.id)).epsilon_reserved).toBeCloseTo(epsilonOf(40), 12); // not epsilonOf(80)
    expect(await c.commit(first.id, 40)).toMatchObject({ event_count: 40 });
    // an explicit idempotencyKey replays too, and the same key with another body is refused
    const again = await c.reserve(run.id, { steps: 5, event: step }, { idempotencyKey: 'res-key-1' });
    expect(await c.reserve(run.id, { steps: 5, event: step }, { idempotencyKey: 'res-key-1' })).toEqual(again);
    expect(
      await c.reserve(run.id, { steps: 6, event: step }, { idempotencyKey: 'res-key-1' }).catch((e: unknown) => e),
    ).toMatchObject({ status: 422, code: 'idempotency_mismatch' });
  });

  it('gives up after `retries` and throws a network_error', async () => {
    const c = createClient({
      baseUrl: svc.url,
      apiKey,
      retries: 1,
      fetch: async () => Promise.reject(new TypeError('refused')),
    });
    const err = await c.listBudgets().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DpledgerApiError);
    expect(err).toMatchObject({ status: 0, code: 'network_error' });
  });

  it('throws BudgetExhaustedError on 409 budget_exhausted, else DpledgerApiError with the problem', async () => {
    const { c, run } = await freshRun(1);
    const refused = await c
      .appendEvents(run.id, [{ kind: 'self_composed', count: 100_000, event: step }])
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BudgetExhaustedError);
    expect(refused).toMatchObject({ status: 409, code: 'budget_exhausted', problem: { epsilon_limit: 1 } });
    const missing = await c.getRun('run_missing').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DpledgerApiError);
    expect(missing).not.toBeInstanceOf(BudgetExhaustedError);
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
    const wrongKey = await createClient({ baseUrl: svc.url, apiKey: 'dpl_nope' })
      .listRuns()
      .catch((e: unknown) => e);
    expect(wrongKey).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('reserves and commits, lists every page of events, closes, and fetches report, proof and keys', async () => {
    const { c, run } = await freshRun();
    for (const steps of [1000, 1000, 500]) {
      const res = await c.reserve(run.id, { steps, event: { kind: 'no_op' } });
      await c.commit(res.id, steps); // at most 1,000 records per request (openapi.yaml "Limits")
    }
    const events = await c.listEvents(run.id);
    expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    const d = { sha256: 'd'.repeat(64) };
    expect((await c.closeRun(run.id, { model_digest: d, dataset_digest: d })).status).toBe('closed');
    const report = await c.getReport(run.id);
    expect(report.payloadType).toBe('application/vnd.in-toto+json');
    const proof = await c.getProof(run.id, 1234);
    expect(proof).toMatchObject({ sequence: 1234, tree_size: 2500 });
    expect((await c.listKeys())[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(await fetchKeys(svc.url)).toEqual(await c.listKeys()); // the public keys need no API key
    expect((await c.listRuns()).some((r) => r.id === run.id)).toBe(true);
  });

  it('lists API keys by id and revokes one with the admin token; the revoked key then gets 401', async () => {
    const made = await createApiKey(svc.url, svc.adminToken, 'to-revoke');
    const c = createClient({ baseUrl: svc.url, apiKey: made.api_key, retries: 0 });
    expect(await c.listBudgets()).toEqual([]);
    const listed = (await listApiKeys(svc.url, svc.adminToken)).find((k) => k.key_id === made.key_id);
    expect(listed).toMatchObject({ key_id: made.key_id, tenant: 'to-revoke' });
    expect(JSON.stringify(listed)).not.toContain(made.api_key);
    const revoked = await revokeApiKey(svc.url, svc.adminToken, made.key_id);
    expect(revoked.revoked_at).toBeDefined();
    expect(await c.listBudgets().catch((e: unknown) => e)).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await listApiKeys(svc.url, apiKey).catch((e: unknown) => e)).toMatchObject({ status: 401 });
  });

  it('pages budgets and runs, and the list methods follow next_cursor to the end', async () => {
    const apiKey2 = (await createApiKey(svc.url, svc.adminToken, 'client-pages')).api_key;
    const c = createClient({ baseUrl: svc.url, apiKey: apiKey2 });
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await c.createBudget({ name: `b${i}`, epsilon: 1, delta: 1e-5 }));
    const first = await c.listBudgetsPage({ limit: 2 });
    expect(first.budgets.map((b) => b.id)).toEqual([made[2]!.id, made[1]!.id]);
    const second = await c.listBudgetsPage({
      limit: 2,
      ...(first.next_cursor === undefined ? {} : { cursor: first.next_cursor }),
    });
    expect(second.budgets.map((b) => b.id)).toEqual([made[0]!.id]);
    expect(second.next_cursor).toBeUndefined();
    expect((await c.listBudgets()).map((b) => b.id)).toEqual(made.map((b) => b.id).reverse());
    const run = await c.createRun({ budget_id: made[0]!.id, name: 'r', sampler });
    expect((await c.listRunsPage({ limit: 1, budgetId: made[0]!.id })).runs.map((r) => r.id)).toEqual([run.id]);
    const zero = await c.listBudgetsPage({ limit: 0 }).catch((e: unknown) => e);
    expect(zero).toBeInstanceOf(DpledgerApiError);
    expect((zero as DpledgerApiError).status).toBe(400);
  });
});

describe('retryingFetch and errorFromResponse (no server needed)', () => {
  const counting = (statuses: number[]) => {
    const bodies: string[] = [];
    const f = async (req: Request) => {
      bodies.push(await req.text());
      return new Response(null, { status: statuses[bodies.length - 1] ?? 200 });
    };
    return { f, bodies };
  };
  const post = () => new Request('http://127.0.0.1:1/v1/x', { method: 'POST', body: '{"a":1}' });

  it('retries a 5xx up to `retries` times, resending the same body, and returns the last answer', async () => {
    const { f, bodies } = counting([503, 502, 500, 200]);
    expect((await retryingFetch(f, 2, 0)(post())).status).toBe(500);
    expect(bodies).toEqual(['{"a":1}', '{"a":1}', '{"a":1}']);
  });

  it('never retries a 4xx answer', async () => {
    const { f, bodies } = counting([409, 200]);
    expect((await retryingFetch(f, 3, 0)(post())).status).toBe(409);
    expect(bodies).toHaveLength(1);
  });

  it('an answer without a problem body is a bad_response error, a problem is typed by its code', () => {
    expect(errorFromResponse(502, '<html>bad gateway</html>')).toMatchObject({ status: 502, code: 'bad_response' });
    const exhausted = errorFromResponse(409, {
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      code: 'budget_exhausted',
      detail: 'over',
    });
    expect(exhausted).toBeInstanceOf(BudgetExhaustedError);
    expect(exhausted.message).toBe('409 budget_exhausted: over');
  });
});
