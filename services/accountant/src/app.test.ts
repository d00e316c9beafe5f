import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from './app.js';
import { ADMIN, SAMPLER, auth, budgetAndRun, testApp, useTestApp } from './testing/test-deps.js';

const s = useTestApp();

describe('api keys and auth', () => {
  it('creates a key with the admin token, stores only its hash, and refuses a missing or wrong token', async () => {
    const res = await request(s.t.app).post('/v1/api-keys').set(auth(ADMIN)).send({ tenant: 'beta' });
    expect(res.status).toBe(201);
    expect(res.body.tenant).toBe('beta');
    const bytes = (await import('node:fs')).readFileSync(s.t.file);
    expect(bytes.includes(Buffer.from(res.body.api_key))).toBe(false);
    expect((await request(s.t.app).post('/v1/api-keys').send({ tenant: 'x' })).status).toBe(401);
    expect(
      (await request(s.t.app).post('/v1/api-keys').set(auth('wrong-admin-token-xxxxx')).send({ tenant: 'x' })).status,
    ).toBe(401);
    expect((await request(s.t.app).post('/v1/api-keys').set(auth(s.key)).send({ tenant: 'x' })).status).toBe(401);
    const bad = await request(s.t.app).post('/v1/api-keys').set(auth(ADMIN)).send({ tenant: '../etc' });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.body.code).toBe('validation_failed');
  });

  it('answers 401 problem+json without or with a wrong API key, and the admin token is no tenant key', async () => {
    for (const headers of [{}, auth('dpl_wrong'), auth(ADMIN), { Authorization: 'Basic abc' }]) {
      const res = await request(s.t.app).get('/v1/budgets').set(headers);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="dpledger"');
      expect(JSON.stringify(res.body)).not.toContain(ADMIN);
    }
  });
});

describe('budgets and runs', () => {
  it('creates, reads and lists budgets with defaults', async () => {
    const res = await request(s.t.app)
      .post('/v1/budgets')
      .set(auth(s.key))
      .send({ name: 'b', epsilon: 2, delta: 1e-6, description: 'd' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'b',
      epsilon: 2,
      delta: 1e-6,
      accountant: 'rdp',
      neighboring_relation: 'add_or_remove_one',
      epsilon_spent: 0,
      epsilon_remaining: 2,
      run_count: 0,
      description: 'd',
    });
    const get = await request(s.t.app).get(`/v1/budgets/${res.body.id}`).set(auth(s.key));
    expect(get.body).toEqual(res.body);
    const list = await request(s.t.app).get('/v1/budgets').set(auth(s.key));
    expect(list.body.budgets.map((b: { id: string }) => b.id)).toEqual([res.body.id]);
  });

  it('creates runs on a budget, lists them (optionally by budget), counts them on the budget', async () => {
    const { budget, run } = await budgetAndRun(s.t, s.key);
    const got = await request(s.t.app).get(`/v1/runs/${run.id}`).set(auth(s.key));
    expect(got.body).toMatchObject({
      id: run.id,
      budget_id: budget.id,
      status: 'open',
      event_count: 0,
      epsilon_spent: 0,
      sampler: SAMPLER,
      noise_rng: 'secure',
    });
    const second = await request(s.t.app)
      .post('/v1/runs')
      .set(auth(s.key))
      .send({ budget_id: budget.id, name: 'run-2', sampler: SAMPLER, metadata: { lr: 0.1 } });
    expect(second.body.metadata).toEqual({ lr: 0.1 });
    const list = await request(s.t.app).get('/v1/runs').query({ budget_id: budget.id }).set(auth(s.key));
    expect(list.body.runs.map((r: { id: string }) => r.id)).toEqual([second.body.id, run.id]);
    expect((await request(s.t.app).get(`/v1/budgets/${budget.id}`).set(auth(s.key))).body.run_count).toBe(2);
    const none = await request(s.t.app).get('/v1/runs').query({ budget_id: 'bud_none' }).set(auth(s.key));
    expect(none.body.runs).toEqual([]);
  });

  it('a run on an unknown budget is 404 and stores nothing', async () => {
    const res = await request(s.t.app)
      .post('/v1/runs')
      .set(auth(s.key))
      .send({ budget_id: 'bud_nope', name: 'r', sampler: SAMPLER });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
    expect((await request(s.t.app).get('/v1/runs').set(auth(s.key))).body.runs).toEqual([]);
  });

  it('refuses delta >= 1 / dataset_size (422 delta_too_large, stores nothing) unless allow_large_delta', async () => {
    const budget = (
      await request(s.t.app).post('/v1/budgets').set(auth(s.key)).send({ name: 'small', epsilon: 1, delta: 1e-3 })
    ).body;
    const small = { kind: 'poisson', dataset_size: 1000, expected_batch_size: 10 } as const; // 1/n = delta
    const res = await request(s.t.app)
      .post('/v1/runs')
      .set(auth(s.key))
      .send({ budget_id: budget.id, name: 'r', sampler: small });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      code: 'delta_too_large',
      pointer: '/sampler/dataset_size',
      detail: expect.stringMatching(/delta 0\.001 is not below 1\/n = 0\.001 .*allow_large_delta/),
    });
    expect((await request(s.t.app).get('/v1/runs').query({ budget_id: budget.id }).set(auth(s.key))).body.runs).toEqual(
      [],
    );
    expect((await request(s.t.app).get(`/v1/budgets/${budget.id}`).set(auth(s.key))).body.run_count).toBe(0);
    const ok = await request(s.t.app)
      .post('/v1/runs')
      .set(auth(s.key))
      .send({ budget_id: budget.id, name: 'r', sampler: { ...small, dataset_size: 999 } });
    expect(ok.status).toBe(201);
    expect(ok.body.allow_large_delta).toBeUndefined();
    const forced = await request(s.t.app)
      .post('/v1/runs')
      .set(auth(s.key))
      .send({ budget_id: budget.id, name: 'r', sampler: small, allow_large_delta: true });
    expect(forced.status).toBe(201);
    expect(forced.body.allow_large_delta).toBe(true);
    expect((await request(s.t.app).get(`/v1/runs/${forced.body.id}`).set(auth(s.key))).body.allow_large_delta).toBe(
      true,
    );
  });

  it('isolates tenants: another tenant gets 404 for every resource and sees empty lists', async () => {
    const { budget, run } = await budgetAndRun(s.t, s.key);
    const other = await s.fresh('other');
    for (const path of [
      `/v1/budgets/${budget.id}`,
      `/v1/runs/${run.id}`,
      `/v1/runs/${run.id}/events`,
      `/v1/runs/${run.id}/report`,
      `/v1/runs/${run.id}/proof/0`,
    ]) {
      const res = await request(s.t.app).get(path).set(auth(other));
      expect(res.status, path).toBe(404);
    }
    expect(
      (
        await request(s.t.app)
          .post(`/v1/runs/${run.id}/events`)
          .set(auth(other))
          .send({ events: [{ kind: 'no_op' }] })
      ).status,
    ).toBe(404);
    expect(
      (
        await request(s.t.app)
          .post('/v1/runs')
          .set(auth(other))
          .send({ budget_id: budget.id, name: 'r', sampler: SAMPLER })
      ).status,
    ).toBe(404);
    expect((await request(s.t.app).get('/v1/budgets').set(auth(other))).body.budgets).toEqual([]);
    expect((await request(s.t.app).get('/v1/runs').set(auth(other))).body.runs).toEqual([]);
  });
});

describe('boot', () => {
  it('rejects a missing or invalid openapi.yaml before serving anything, and a short admin token', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join((await import('node:os')).tmpdir(), 'dpledger-spec-'));
    const broken = join(dir, 'openapi.yaml');
    writeFileSync(
      broken,
      'openapi: 3.0.3\ninfo: { title: x }\npaths:\n' +
        '  /x: { get: { responses: { "200": { $ref: "#/components/responses/Nope" } } } }\n',
    );
    await expect(createApp({ store: s.t.store, config: { adminToken: ADMIN, specPath: broken } })).rejects.toThrow();
    await expect(
      createApp({ store: s.t.store, config: { adminToken: ADMIN, specPath: join(dir, 'missing.yaml') } }),
    ).rejects.toThrow();
    await expect(createApp({ store: s.t.store, config: { adminToken: 'short' } })).rejects.toThrow(/admin token/);
  });
});

describe('faults', () => {
  it('an unexpected store error is a 500 problem+json that leaks no message', async () => {
    const store = Object.create(s.t.store) as typeof s.t.store;
    store.listBudgets = async () => {
      throw new Error('disk on fire: /secret/path');
    };
    const app = await createApp({ store, config: { adminToken: ADMIN, validateResponses: true } });
    const res = await request(app).get('/v1/budgets').set(auth(s.key));
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: 'internal', detail: 'internal error' });
    expect(res.text).not.toContain('secret');
  });
});

describe('ops', () => {
  it('serves healthz, readyz and Prometheus metrics without auth', async () => {
    expect((await request(s.t.app).get('/healthz')).body.status).toBe('ok');
    const ready = await request(s.t.app).get('/readyz');
    expect(ready.body).toMatchObject({ status: 'ok', store: 'sqlite' });
    await request(s.t.app).get('/v1/budgets');
    const m = await request(s.t.app).get('/metrics');
    expect(m.status).toBe(200);
    expect(m.text).toContain('dpledger_http_requests_total');
    expect(m.text).toMatch(/dpledger_refusals_total\{code="unauthorized"\} [1-9]/);
    expect(m.headers['x-request-id']).toBeTruthy();
  });

  it('answers 503 not_ready when the store is closed', async () => {
    const own = await testApp();
    await own.store.close();
    const res = await request(own.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('not_ready');
    (await import('node:fs')).rmSync(own.dir, { recursive: true, force: true });
  });
});
