import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { append, auth, budgetAndRun, step, testApp, type TestApp } from '../testing/test-deps.js';

const EVIL = '"><img src=x onerror=alert(1)>';

describe('dashboard on the real service (createApp + SQLite store)', () => {
  let t: TestApp;
  let keyA: string;
  let keyB: string;
  let runA: string;
  let runB: string;

  beforeAll(async () => {
    t = await testApp();
    keyA = await t.key('alpha');
    keyB = await t.key('beta');
    runA = (await budgetAndRun(t, keyA, { name: EVIL, epsilon: 3 })).run.id;
    runB = (await budgetAndRun(t, keyB, { name: 'beta-secret-budget', epsilon: 3 })).run.id;
    expect((await append(t, keyA, runA, [step(), step(), step()])).status).toBe(200);
    const close = await request(t.app)
      .post(`/v1/runs/${runA}/close`)
      .set(auth(keyA))
      .send({ model_digest: { sha256: 'c'.repeat(64) }, dataset_digest: { sha256: 'd'.repeat(64) } });
    expect(close.status).toBe(200);
  });
  afterAll(() => t.close());

  async function login(key: string): Promise<string> {
    const res = await request(t.app).post('/login').type('form').send({ api_key: key });
    expect(res.status).toBe(303);
    return String(res.headers['set-cookie']).split(';')[0]!;
  }

  it("logs in with a real API key, lists only that tenant's budgets, escaped", async () => {
    const cookie = await login(keyA);
    const home = await request(t.app).get('/').set('Cookie', cookie);
    expect(home.status).toBe(200);
    expect(home.text).not.toContain(EVIL);
    expect(home.text).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(home.text).not.toContain('beta-secret-budget');
    expect((await request(t.app).post('/login').type('form').send({ api_key: 'dpl_not_a_key' })).status).toBe(401);
  });

  it("isolates tenants exactly as the API does: another tenant's run and report are not found", async () => {
    const cookie = await login(keyB);
    expect((await request(t.app).get(`/runs/${runA}`).set('Cookie', cookie)).status).toBe(404);
    expect((await request(t.app).get(`/runs/${runA}/report.json`).set('Cookie', cookie)).status).toBe(404);
    expect((await request(t.app).get(`/v1/runs/${runA}`).set(auth(keyB))).status).toBe(404);
    expect((await request(t.app).get(`/runs/${runB}`).set('Cookie', cookie)).status).toBe(200);
  });

  it("verifies a closed run's report against the service's keys and serves the same envelope as the API", async () => {
    const cookie = await login(keyA);
    const page = await request(t.app).get(`/runs/${runA}`).set('Cookie', cookie);
    expect(page.text).toContain('class="status ok">verified</span>');
    expect(page.text).toContain('Merkle root recomputed from the event log matches');
    const viaDashboard = await request(t.app).get(`/runs/${runA}/report.json`).set('Cookie', cookie);
    const viaApi = await request(t.app).get(`/v1/runs/${runA}/report`).set(auth(keyA));
    expect(JSON.parse(viaDashboard.text)).toEqual(viaApi.body);
  });

  it("keeps the API's own auth: a dashboard session cookie opens no /v1 route", async () => {
    const cookie = await login(keyA);
    expect((await request(t.app).get('/v1/budgets').set('Cookie', cookie)).status).toBe(401);
  });
});
