/**
 * `/train` server side: behind the dashboard login, a same-origin JSON post makes a run and a token of that run only.
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { auth, dbBytes, step, useTestApp } from '../testing/test-deps.js';

const s = useTestApp();

async function login(key: string): Promise<string> {
  const res = await request(s.t.app).post('/login').type('form').send({ api_key: key });
  expect(res.status).toBe(303);
  return String(res.headers['set-cookie']![0]).split(';')[0]!;
}

async function budget(key: string) {
  const b = await request(s.t.app)
    .post('/v1/budgets')
    .set(auth(key))
    .send({ name: 'browser <b>budget</b>', epsilon: 5, delta: 1e-5 });
  expect(b.status).toBe(201);
  return b.body.id as string;
}

const start = (cookie: string, body: Record<string, unknown>) =>
  request(s.t.app).post('/train/runs').set('Cookie', cookie).set('Sec-Fetch-Site', 'same-origin').send(body);

describe('/train', () => {
  it('needs a dashboard session: the page redirects to the login, the run post is 401 and writes nothing', async () => {
    const budgetId = await budget(s.key);
    const page = await request(s.t.app).get('/train');
    expect(page.status).toBe(303);
    expect(page.headers['location']).toBe('/');
    const before = dbBytes(s.t);
    const post = await request(s.t.app)
      .post('/train/runs')
      .send({ budget_id: budgetId, dataset_size: 2000, expected_batch_size: 8 });
    expect(post.status).toBe(401);
    // an API key is no session here
    expect(
      (
        await request(s.t.app)
          .post('/train/runs')
          .set(auth(s.key))
          .send({ budget_id: budgetId, dataset_size: 2000, expected_batch_size: 8 })
      ).status,
    ).toBe(401);
    expect(dbBytes(s.t).equals(before)).toBe(true);
  });

  it('lists the tenant’s budgets (escaped) with a strict CSP that allows only this origin’s scripts', async () => {
    await budget(s.key);
    const cookie = await login(s.key);
    const page = await request(s.t.app).get('/train').set('Cookie', cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('browser &lt;b&gt;budget&lt;/b&gt;');
    expect(page.text).toContain('<script type="module" src="/train/train.js"></script>');
    expect(page.text).not.toContain(s.key);
    expect(page.headers['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
  });

  it('makes a run and a token that reserves and commits on it, and reads nothing', async () => {
    const budgetId = await budget(s.key);
    const cookie = await login(s.key);
    const made = await start(cookie, { budget_id: budgetId, dataset_size: 2000, expected_batch_size: 8 });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ delta: 1e-5, neighboring_relation: 'add_or_remove_one' });
    const { run_id: runId, token } = made.body as { run_id: string; token: string };
    const run = await request(s.t.app).get(`/v1/runs/${runId}`).set(auth(s.key));
    expect(run.body).toMatchObject({
      status: 'open',
      budget_id: budgetId,
      sampler: { kind: 'poisson', dataset_size: 2000, expected_batch_size: 8 },
      noise_rng: 'secure',
    });
    const r = await request(s.t.app)
      .post(`/v1/runs/${runId}/reservations`)
      .set(auth(token))
      .send({ steps: 2, event: step(8 / 2000) });
    expect(r.status).toBe(201);
    expect(
      (await request(s.t.app).post(`/v1/reservations/${r.body.id}/commit`).set(auth(token)).send({ used: 2 })).status,
    ).toBe(200);
    expect((await request(s.t.app).get('/v1/budgets').set(auth(token))).status).toBe(401);
    expect((await request(s.t.app).get(`/v1/runs/${runId}`).set(auth(token))).status).toBe(401);
  });

  it('refuses a cross-site post, another tenant’s budget and bad sizes, writing nothing', async () => {
    const budgetId = await budget(s.key);
    const other = await s.fresh('other');
    const otherBudget = await budget(other);
    const cookie = await login(s.key);
    const before = dbBytes(s.t);
    const cross = await request(s.t.app)
      .post('/train/runs')
      .set('Cookie', cookie)
      .set('Origin', 'https://evil.example')
      .send({ budget_id: budgetId, dataset_size: 2000, expected_batch_size: 8 });
    expect(cross.status).toBe(403);
    const site = await request(s.t.app)
      .post('/train/runs')
      .set('Cookie', cookie)
      .set('Sec-Fetch-Site', 'cross-site')
      .send({ budget_id: budgetId, dataset_size: 2000, expected_batch_size: 8 });
    expect(site.status).toBe(403);
    const form = await request(s.t.app)
      .post('/train/runs')
      .set('Cookie', cookie)
      .type('form')
      .send({ budget_id: budgetId, dataset_size: '2000', expected_batch_size: '8' });
    expect(form.status).toBe(403);
    expect((await start(cookie, { budget_id: otherBudget, dataset_size: 2000, expected_batch_size: 8 })).status).toBe(
      404,
    );
    expect((await start(cookie, { budget_id: budgetId, dataset_size: 2000, expected_batch_size: 2001 })).status).toBe(
      400,
    );
    expect((await start(cookie, { budget_id: budgetId, dataset_size: 0.5, expected_batch_size: 1 })).status).toBe(400);
    // delta 1e-5 is not below 1/n for n = 100000: refused, as POST /v1/runs refuses it
    expect((await start(cookie, { budget_id: budgetId, dataset_size: 100_000, expected_batch_size: 8 })).status).toBe(
      422,
    );
    expect(dbBytes(s.t).equals(before)).toBe(true);
  });

  it('serves the shipped sample and the tfjs wasm binaries, and nothing else from those folders', async () => {
    const sample = await request(s.t.app).get('/train/sample/train-labels-idx1-ubyte.gz');
    expect(sample.status).toBe(200);
    const wasm = await request(s.t.app).get('/train/wasm/tfjs-backend-wasm.wasm');
    expect(wasm.status).toBe(200);
    expect(wasm.headers['content-type']).toBe('application/wasm');
    for (const path of [
      '/train/sample/..%2F..%2Fpackage.json',
      '/train/wasm/package.json',
      '/train/..%2Fpackage.js',
      '/train/nope.js',
    ]) {
      expect((await request(s.t.app).get(path)).status, path).toBe(404);
    }
  });
});
