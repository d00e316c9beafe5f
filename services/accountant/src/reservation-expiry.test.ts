/** Issue 8 item 6: a reservation's steps are never lost: expiry and close log them, a commit is never refused. */
import { Writable } from 'node:stream';
import request from 'supertest';
import { pino } from 'pino';
import { eventLogCommitment, verifyReport } from '@dpledger/audit';
import { RdpAccountant } from '@dpledger/accounting';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from './http/metrics.js';
import { append, auth, budgetAndRun, step, testApp, useTestApp } from './testing/test-deps.js';

const s = useTestApp();
const epsilonOf = (steps: number) =>
  new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(step() as never, steps).getEpsilon(1e-5);
/** A limit that fits exactly `steps` DP-SGD steps: `steps + 1` would overspend. */
const fits = (steps: number) => (epsilonOf(steps) + epsilonOf(steps + 1)) / 2;
const START = new Date('2026-01-01T00:00:00.000Z');
const later = (seconds: number) => new Date(START.getTime() + seconds * 1000);
afterEach(() => {
  s.t.clock.now = START;
});

const get = (path: string) => request(s.t.app).get(path).set(auth(s.key));
const reserve = (runId: string, steps: number, ttl_seconds = 60) =>
  request(s.t.app).post(`/v1/runs/${runId}/reservations`).set(auth(s.key)).send({ steps, event: step(), ttl_seconds });
const commit = (id: string, used: number) =>
  request(s.t.app).post(`/v1/reservations/${id}/commit`).set(auth(s.key)).send({ used });
const digest = { sha256: 'e'.repeat(64) };

describe('reservation expiry and close', () => {
  it('an expired hold keeps counting: the next write logs all its steps; budget is never released twice', async () => {
    const { budget, run } = await budgetAndRun(s.t, s.key, { epsilon: fits(128) });
    const other = await request(s.t.app)
      .post('/v1/runs')
      .set(auth(s.key))
      .send({
        budget_id: budget.id,
        name: 'run-2',
        sampler: { kind: 'poisson', dataset_size: 60000, expected_batch_size: 600 },
      });
    const first = await reserve(run.id, 128);
    expect(first.status).toBe(201);
    expect(first.body.expires_at).toBe('2026-01-01T00:01:00.000Z');
    s.t.clock.now = later(61);
    // Before the fix the expired hold stopped counting and a second 128 steps were granted (256 in all).
    const second = await reserve(other.body.id, 128);
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('budget_exhausted');
    expect((await reserve(other.body.id, 1)).body.code).toBe('budget_exhausted');
    const r = (await get(`/v1/runs/${run.id}`)).body;
    expect(r.event_count).toBe(128);
    const events = (await get(`/v1/runs/${run.id}/events`)).body.events;
    expect(events.map((e: { sequence: number }) => e.sequence)).toEqual(Array.from({ length: 128 }, (_, i) => i));
    const b = (await get(`/v1/budgets/${budget.id}`)).body;
    expect(b.epsilon_spent).toBeCloseTo(epsilonOf(128), 12);
    expect(b.epsilon_reserved).toBeCloseTo(epsilonOf(128), 12);
    expect(b.overspent).toBeUndefined();
    // The late commit is not refused (the steps were taken) and cannot un-log: it reports what was logged.
    const late = await commit(first.body.id, 10);
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ logged_steps: 128, event_count: 128, sequence: 127 });
    expect((await get(`/v1/runs/${run.id}`)).body.event_count).toBe(128);
  });

  it('a read notices an expiry too: the run shows the logged steps without any write', async () => {
    const { budget, run } = await budgetAndRun(s.t, s.key);
    const res = await reserve(run.id, 30);
    await append(s.t, s.key, run.id, [{ kind: 'no_op' }]);
    s.t.clock.now = later(60);
    const b = (await get(`/v1/budgets/${budget.id}`)).body;
    expect(b.epsilon_spent).toBeCloseTo(epsilonOf(30), 12);
    const r = (await get(`/v1/runs/${run.id}`)).body;
    expect(r.event_count).toBe(31);
    expect(r.ledger).toEqual({
      kind: 'composed',
      events: [{ kind: 'no_op' }, { kind: 'self_composed', count: 30, event: step() }],
    });
    expect((await commit(res.body.id, 30)).body).toMatchObject({ logged_steps: 30, event_count: 31 });
  });

  it('a dashboard read notices an expiry as the API does', async () => {
    const { run } = await budgetAndRun(s.t, s.key);
    await reserve(run.id, 7);
    s.t.clock.now = later(61);
    expect(await s.t.store.listEvents(run.id, -1, 100)).toHaveLength(0);
    const login = await request(s.t.app).post('/login').type('form').send({ api_key: s.key });
    const home = await request(s.t.app).get('/').set('Cookie', String(login.headers['set-cookie']).split(';')[0]!);
    expect(home.status).toBe(200);
    expect((await s.t.store.listEvents(run.id, -1, 100)).map((e) => e.sequence)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('a commit before expiry logs only `used`, releases the rest, and is never refused for budget', async () => {
    const { budget, run } = await budgetAndRun(s.t, s.key, { epsilon: fits(128) });
    const res = await reserve(run.id, 128);
    s.t.clock.now = later(59);
    const c = await commit(res.body.id, 40);
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ logged_steps: 40, event_count: 40, sequence: 39 });
    s.t.clock.now = later(3600);
    expect((await get(`/v1/runs/${run.id}`)).body.event_count).toBe(40);
    expect((await get(`/v1/budgets/${budget.id}`)).body.epsilon_reserved).toBeCloseTo(epsilonOf(40), 12);
    expect((await reserve(run.id, 88)).status).toBe(201);
  });

  it('closing a run after 100 reserved-but-uncommitted steps signs a report with event_count 100', async () => {
    const { budget, run } = await budgetAndRun(s.t, s.key);
    const res = await reserve(run.id, 100, 3600);
    const closed = await request(s.t.app)
      .post(`/v1/runs/${run.id}/close`)
      .set(auth(s.key))
      .send({ model_digest: digest, dataset_digest: digest });
    expect(closed.status).toBe(200);
    expect(closed.body.event_count).toBe(100);
    const env = await get(`/v1/runs/${run.id}/report`);
    const keys = (await request(s.t.app).get('/v1/keys')).body.keys;
    const p = verifyReport(env.body, keys).predicate;
    expect(p.event_count).toBe(100);
    expect(p.ledger).toEqual({ kind: 'composed', events: [{ kind: 'self_composed', count: 100, event: step() }] });
    const events = (await get(`/v1/runs/${run.id}/events`)).body.events;
    expect(events).toHaveLength(100);
    expect(p.merkle_root).toEqual(eventLogCommitment(events));
    const b = (await get(`/v1/budgets/${budget.id}`)).body;
    expect(b.epsilon_spent).toBeCloseTo(epsilonOf(100), 12);
    expect(b.epsilon_reserved).toBeCloseTo(epsilonOf(100), 12);
    // A commit that arrives after the close is a no-op that says all 100 steps are logged.
    expect((await commit(res.body.id, 3)).body).toMatchObject({ logged_steps: 100, event_count: 100 });
  });
});

describe('overspend', () => {
  it('a commit beyond the limit (a bug or race) is recorded; the budget is flagged, logged and counted', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const metrics = createMetrics();
    const t = await testApp({ metrics, logger: pino({ level: 'error' }, sink) });
    try {
      const key = await t.key('over');
      const { budget, run } = await budgetAndRun(t, key, { epsilon: fits(10) });
      // A hold the filter never saw, as a bug would leave it.
      await t.store.write(async (tx) =>
        tx.insertReservation({
          id: 'res_bug',
          tenant: 'over',
          run_id: run.id,
          budget_id: budget.id,
          steps: 50,
          event: step() as never,
          status: 'open',
          created_at: START.toISOString(),
          expires_at: later(60).toISOString(),
        }),
      );
      const c = await request(t.app).post('/v1/reservations/res_bug/commit').set(auth(key)).send({ used: 50 });
      expect(c.status).toBe(200);
      expect(c.body).toMatchObject({ event_count: 50, logged_steps: 50, epsilon_remaining: 0 });
      const b = (await request(t.app).get(`/v1/budgets/${budget.id}`).set(auth(key))).body;
      expect(b.overspent).toBe(true);
      expect(b.epsilon_spent).toBeCloseTo(epsilonOf(50), 12);
      expect(lines.some((l) => /budget overspent/.test(l) && l.includes(budget.id) && l.includes('"level":50'))).toBe(
        true,
      );
      expect(await metrics.registry.getSingleMetricAsString('dpledger_budget_overspent_total')).toMatch(
        /dpledger_budget_overspent_total 1$/m,
      );
      // Filter before release still holds: nothing more is accepted.
      expect((await append(t, key, run.id, [step()])).body.code).toBe('budget_exhausted');
    } finally {
      await t.close();
    }
  });
});
