/** Run-scoped tokens (docs/design.md "Tokens"): reserve, commit, audit and close one run, nothing else. */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ADMIN, auth, budgetAndRun, dbBytes, SAMPLER, step, useTestApp } from './testing/test-deps.js';

const s = useTestApp();
const DIGESTS = { model_digest: { sha256: 'a'.repeat(64) }, dataset_digest: { sha256: 'b'.repeat(64) } };

async function mint(runId: string, key = s.key, body: Record<string, unknown> = {}) {
  return request(s.t.app).post(`/v1/runs/${runId}/tokens`).set(auth(key)).send(body);
}

describe('run-scoped tokens', () => {
  it('reserve, commit and close its run; the tenant, not the token, reads the report', async () => {
    const { run } = await budgetAndRun(s.t, s.key, { epsilon: 10 });
    const minted = await mint(run.id);
    expect(minted.status).toBe(201);
    expect(minted.body.run_id).toBe(run.id);
    expect(minted.body.token).toMatch(/^dprt_/);
    expect(Date.parse(minted.body.expires_at)).toBe(s.t.clock.now.getTime() + 3600_000);
    const token = minted.body.token as string;
    for (let i = 0; i < 3; i++) {
      const r = await request(s.t.app)
        .post(`/v1/runs/${run.id}/reservations`)
        .set(auth(token))
        .send({ steps: 1, event: step() });
      expect(r.status).toBe(201);
      const c = await request(s.t.app).post(`/v1/reservations/${r.body.id}/commit`).set(auth(token)).send({ used: 1 });
      expect(c.status).toBe(200);
    }
    const closed = await request(s.t.app).post(`/v1/runs/${run.id}/close`).set(auth(token)).send(DIGESTS);
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');
    expect(closed.body.event_count).toBe(3);
    // the tenant reads the report; the token cannot
    expect((await request(s.t.app).get(`/v1/runs/${run.id}/report`).set(auth(s.key))).status).toBe(200);
    expect((await request(s.t.app).get(`/v1/runs/${run.id}/report`).set(auth(token))).status).toBe(401);
  });

  it('cannot read budgets or runs, create runs, mint tokens or keys, or append raw events', async () => {
    const { budget, run } = await budgetAndRun(s.t, s.key, { epsilon: 10 });
    const token = (await mint(run.id)).body.token as string;
    const before = dbBytes(s.t);
    const refused = [
      request(s.t.app).get('/v1/budgets').set(auth(token)),
      request(s.t.app).get(`/v1/budgets/${budget.id}`).set(auth(token)),
      request(s.t.app).post('/v1/budgets').set(auth(token)).send({ name: 'x', epsilon: 1, delta: 1e-6 }),
      request(s.t.app).get('/v1/runs').set(auth(token)),
      request(s.t.app).get(`/v1/runs/${run.id}`).set(auth(token)),
      request(s.t.app).post('/v1/runs').set(auth(token)).send({ budget_id: budget.id, name: 'r', sampler: SAMPLER }),
      request(s.t.app).get(`/v1/runs/${run.id}/events`).set(auth(token)),
      request(s.t.app)
        .post(`/v1/runs/${run.id}/events`)
        .set(auth(token))
        .send({ events: [step()] }),
      request(s.t.app).post(`/v1/runs/${run.id}/tokens`).set(auth(token)).send({}),
      request(s.t.app).post('/v1/api-keys').set(auth(token)).send({ tenant: 'mallory' }),
      request(s.t.app).get('/v1/api-keys').set(auth(token)),
    ];
    for (const [i, res] of (await Promise.all(refused)).entries()) {
      expect(res.status, `request ${i}`).toBe(401);
      expect(res.body.code).toBe('unauthorized');
    }
    expect(dbBytes(s.t).equals(before)).toBe(true);
  });

  it('cannot touch another run of the same tenant, nor commit its reservations', async () => {
    const { run } = await budgetAndRun(s.t, s.key, { epsilon: 10 });
    const { run: other } = await budgetAndRun(s.t, s.key, { epsilon: 10 });
    const token = (await mint(run.id)).body.token as string;
    const held = await request(s.t.app)
      .post(`/v1/runs/${other.id}/reservations`)
      .set(auth(s.key))
      .send({ steps: 2, event: step() });
    expect(held.status).toBe(201);
    const before = dbBytes(s.t);
    const reserve = await request(s.t.app)
      .post(`/v1/runs/${other.id}/reservations`)
      .set(auth(token))
      .send({ steps: 1, event: step() });
    expect(reserve.status).toBe(403);
    expect(reserve.body.code).toBe('forbidden');
    expect((await request(s.t.app).post(`/v1/runs/${other.id}/close`).set(auth(token)).send(DIGESTS)).status).toBe(403);
    const audit = await request(s.t.app)
      .post(`/v1/runs/${other.id}/audit`)
      .set(auth(token))
      .send({ scores: [0.1], included: [true] });
    expect(audit.status).toBe(403);
    const commit = await request(s.t.app)
      .post(`/v1/reservations/${held.body.id}/commit`)
      .set(auth(token))
      .send({ used: 1 });
    expect(commit.status).toBe(404);
    expect(commit.body.code).toBe('not_found');
    expect(dbBytes(s.t).equals(before)).toBe(true);
    // the tenant's key still commits it
    const byKey = await request(s.t.app)
      .post(`/v1/reservations/${held.body.id}/commit`)
      .set(auth(s.key))
      .send({ used: 1 });
    expect(byKey.status).toBe(200);
  });

  it('is refused once expired, and a token of another tenant’s run cannot be minted', async () => {
    const { run } = await budgetAndRun(s.t, s.key, { epsilon: 10 });
    const token = (await mint(run.id, s.key, { ttl_seconds: 60 })).body.token as string;
    const start = s.t.clock.now;
    try {
      s.t.clock.now = new Date(start.getTime() + 59_000);
      const answer = await request(s.t.app)
        .post(`/v1/runs/${run.id}/reservations`)
        .set(auth(token))
        .send({ steps: 1, event: step() });
      expect(answer.status).toBe(201);
      s.t.clock.now = new Date(start.getTime() + 60_000);
      const late = await request(s.t.app)
        .post(`/v1/runs/${run.id}/reservations`)
        .set(auth(token))
        .send({ steps: 1, event: step() });
      expect(late.status).toBe(401);
      expect(late.body.code).toBe('unauthorized');
    } finally {
      s.t.clock.now = start;
    }
    const other = await s.fresh('other');
    expect((await mint(run.id, other)).status).toBe(404);
    expect((await mint(run.id, ADMIN)).status).toBe(401);
    expect((await mint(run.id, s.key, { ttl_seconds: 86_401 })).status).toBe(400);
  });

  it('cannot be minted for a closed run, and is stored only as its hash', async () => {
    const { run } = await budgetAndRun(s.t, s.key, { epsilon: 10 });
    const token = (await mint(run.id)).body.token as string;
    expect(dbBytes(s.t).includes(Buffer.from(token))).toBe(false);
    expect((await request(s.t.app).post(`/v1/runs/${run.id}/close`).set(auth(s.key)).send(DIGESTS)).status).toBe(200);
    const late = await mint(run.id);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('run_closed');
    // the old token now meets a closed run
    const answer = await request(s.t.app)
      .post(`/v1/runs/${run.id}/reservations`)
      .set(auth(token))
      .send({ steps: 1, event: step() });
    expect(answer.status).toBe(409);
  });
});

describe('run_tokens migration', () => {
  it('a version-6 database gains the run_tokens table on open, and tokens work on it', async () => {
    const { testApp } = await import('./testing/test-deps.js');
    const Database = (await import('better-sqlite3')).default;
    const own = await testApp();
    const key = await own.key('before-tokens');
    const { run } = await budgetAndRun(own, key, { epsilon: 10 });
    await own.store.close();
    const db = new Database(own.file);
    // Back to version 6: no run_tokens table, and no sessions.key_id (version 8).
    db.exec('DROP TABLE run_tokens; ALTER TABLE sessions DROP COLUMN key_id;');
    db.pragma('user_version = 6');
    db.close();
    const { openSqliteStore } = await import('./store/sqlite-store.js');
    const { createApp } = await import('./app.js');
    const store = openSqliteStore(own.file);
    try {
      const app = await createApp({ store, config: { adminToken: ADMIN } });
      const minted = await request(app).post(`/v1/runs/${run.id}/tokens`).set(auth(key)).send({});
      expect(minted.status).toBe(201);
      const answer = await request(app)
        .post(`/v1/runs/${run.id}/reservations`)
        .set(auth(minted.body.token))
        .send({ steps: 1, event: step() });
      expect(answer.status).toBe(201);
    } finally {
      await store.close();
      (await import('node:fs')).rmSync(own.dir, { recursive: true, force: true });
    }
  });
});
