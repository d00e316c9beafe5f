import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN, SAMPLER, auth, dbBytes, testApp, useTestApp, type TestApp } from './testing/test-deps.js';

const s = useTestApp();

const budget = (t: TestApp, key: string, name: string) =>
  request(t.app).post('/v1/budgets').set(auth(key)).send({ name, epsilon: 1, delta: 1e-5 });

/** Every item of a list, following next_cursor with `limit` per page. */
async function all(t: TestApp, key: string, path: string, field: 'budgets' | 'runs', limit: number) {
  const out: { id: string }[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await request(t.app)
      .get(`${path}${sep}limit=${limit}${cursor === undefined ? '' : `&cursor=${cursor}`}`)
      .set(auth(key));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    out.push(...res.body[field]);
    pages.push(res.body[field].length);
    cursor = res.body.next_cursor;
  } while (cursor !== undefined);
  return { ids: out.map((x) => x.id), pages };
}

describe('list pagination', () => {
  it('pages budgets/runs newest first (limit, next_cursor), no skip or repeat, even on equal timestamps', async () => {
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await budget(s.t, s.key, `b${i}`)).body.id);
    const budgets = await all(s.t, s.key, '/v1/budgets', 'budgets', 3);
    expect(budgets.ids).toEqual([...made].reverse());
    expect(budgets.pages).toEqual([3, 3, 1]);
    const runs: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await request(s.t.app)
        .post('/v1/runs')
        .set(auth(s.key))
        .send({ budget_id: made[i % 2], name: `r${i}`, sampler: SAMPLER });
      runs.push(r.body.id);
    }
    expect((await all(s.t, s.key, '/v1/runs', 'runs', 2)).ids).toEqual([...runs].reverse());
    expect((await all(s.t, s.key, `/v1/runs?budget_id=${made[0]}`, 'runs', 1)).ids).toEqual([
      runs[4],
      runs[2],
      runs[0],
    ]);
  });

  it('defaults to 100 per page and refuses limit=0, a limit above 1000 and a forged cursor with 400', async () => {
    for (let i = 0; i < 101; i++) await budget(s.t, s.key, `b${i}`);
    const first = await request(s.t.app).get('/v1/budgets').set(auth(s.key));
    expect(first.body.budgets).toHaveLength(100);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    for (const q of ['limit=0', 'limit=1001', 'limit=-1', 'cursor=not*a*cursor', 'cursor=bm9wZQ']) {
      for (const path of ['/v1/budgets', '/v1/runs']) {
        const res = await request(s.t.app).get(`${path}?${q}`).set(auth(s.key));
        expect(res.status, `${path}?${q}`).toBe(400);
        expect(res.body.code).toBe('validation_failed');
      }
    }
    expect((await request(s.t.app).get('/v1/runs/run_x/events?limit=0').set(auth(s.key))).status).toBe(400);
  });

  it("a cursor of another tenant's list shows nothing of that tenant", async () => {
    for (let i = 0; i < 3; i++) await budget(s.t, s.key, `b${i}`);
    const cursor = (await request(s.t.app).get('/v1/budgets?limit=1').set(auth(s.key))).body.next_cursor as string;
    const other = await s.fresh('other');
    const res = await request(s.t.app).get(`/v1/budgets?cursor=${cursor}`).set(auth(other));
    expect(res.status).toBe(200);
    expect(res.body.budgets).toEqual([]);
  });
});

describe('per-tenant limits', () => {
  let t: TestApp;
  afterAll(async () => t.close());

  it('refuses a budget or run over the limit (422 limit_exceeded), writes nothing, spares other tenants', async () => {
    t = await testApp({
      config: { adminToken: ADMIN, validateResponses: true, maxBudgetsPerTenant: 2, maxRunsPerTenant: 3 },
    });
    const key = await t.key('acme');
    const b1 = (await budget(t, key, 'one')).body.id as string;
    expect((await budget(t, key, 'two')).status).toBe(201);
    const before = dbBytes(t);
    const refused = await budget(t, key, 'three');
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'limit_exceeded', limit: 2 });
    expect(dbBytes(t).equals(before)).toBe(true);
    for (let i = 0; i < 3; i++)
      expect(
        (
          await request(t.app)
            .post('/v1/runs')
            .set(auth(key))
            .send({ budget_id: b1, name: `r${i}`, sampler: SAMPLER })
        ).status,
      ).toBe(201);
    const run = await request(t.app)
      .post('/v1/runs')
      .set(auth(key))
      .send({ budget_id: b1, name: 'r4', sampler: SAMPLER });
    expect(run.status).toBe(422);
    expect(run.body).toMatchObject({ code: 'limit_exceeded', limit: 3 });
    expect((await request(t.app).get(`/v1/budgets/${b1}`).set(auth(key))).body.run_count).toBe(3);
    const other = await t.key('other');
    expect((await budget(t, other, 'theirs')).status).toBe(201);
  });
});
