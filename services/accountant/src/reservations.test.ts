import request from 'supertest';
import { RdpAccountant } from '@dpledger/accounting';
import { describe, expect, it } from 'vitest';
import { append, auth, budgetAndRun, step, useTestApp } from './testing/test-deps.js';

const s = useTestApp();
const epsilonOf = (steps: number) =>
  new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(step() as never, steps).getEpsilon(1e-5);

function reserve(runId: string, steps: number, extra: Record<string, unknown> = {}) {
  return request(s.t.app)
    .post(`/v1/runs/${runId}/reservations`)
    .set(auth(s.key))
    .send({ steps, event: step(), ...extra });
}
function commit(id: string, used: number, idem?: string) {
  const req = request(s.t.app).post(`/v1/reservations/${id}/commit`).set(auth(s.key));
  if (idem) req.set('Idempotency-Key', idem);
  return req.send({ used });
}

describe('reservations', () => {
  it('hold budget until committed, log `used` records and release the rest', async () => {
    const { budget, run } = await budgetAndRun(s.t, s.key);
    const r = await reserve(run.id, 100);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      run_id: run.id,
      steps: 100,
      status: 'open',
      expires_at: '2026-01-01T01:00:00.000Z',
    });
    expect(r.body.epsilon_remaining).toBeCloseTo(1 - epsilonOf(100), 12);
    const held = await request(s.t.app).get(`/v1/budgets/${budget.id}`).set(auth(s.key));
    expect(held.body).toMatchObject({ epsilon_spent: 0 });
    expect(held.body.epsilon_reserved).toBeCloseTo(epsilonOf(100), 12);
    const c = await commit(r.body.id, 60);
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ sequence: 59, event_count: 60 });
    expect(c.body.epsilon_spent).toBeCloseTo(epsilonOf(60), 12);
    expect(c.body.epsilon_remaining).toBeCloseTo(1 - epsilonOf(60), 12);
    const again = await commit(r.body.id, 60);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('reservation_closed');
  });

  it('refuses a reservation that would overspend, counting other open reservations', async () => {
    // epsilon 1 is passed within the 1,000 steps one reservation may hold (openapi.yaml "Limits").
    const { run } = await budgetAndRun(s.t, s.key, { epsilon: 1 });
    let steps = 1;
    while (epsilonOf(steps) <= 1) steps *= 2;
    for (let lo = steps / 2; steps - lo > 1;) {
      const mid = Math.floor((lo + steps) / 2);
      if (epsilonOf(mid) <= 1) lo = mid;
      else steps = mid;
    }
    expect((await reserve(run.id, steps)).body.code).toBe('budget_exhausted');
    const half = Math.floor(steps / 2);
    const held = await reserve(run.id, half);
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    const second = await reserve(run.id, steps - half);
    expect(second.status).toBe(409);
    // Appends are checked against the holds too.
    const appended = await append(s.t, s.key, run.id, [{ kind: 'self_composed', count: steps - half, event: step() }]);
    expect(appended.status).toBe(409);
  });

  it('refuses to commit more than reserved (409 reservation_exceeded) and replays an idempotent commit', async () => {
    const { run } = await budgetAndRun(s.t, s.key);
    const r = await reserve(run.id, 10);
    const over = await commit(r.body.id, 11);
    expect(over.status).toBe(409);
    expect(over.body.code).toBe('reservation_exceeded');
    const first = await commit(r.body.id, 10, 'c-1');
    const replay = await commit(r.body.id, 10, 'c-1');
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    expect((await request(s.t.app).get(`/v1/runs/${run.id}`).set(auth(s.key))).body.event_count).toBe(10);
    expect((await commit('res_unknown', 1)).status).toBe(404);
  });

  it('64 concurrent reservations never hold more than the budget allows', async () => {
    const { budget, run } = await budgetAndRun(s.t, s.key, { epsilon: 3 });
    const answers = await Promise.all(Array.from({ length: 64 }, () => reserve(run.id, 500)));
    const granted = answers.filter((a) => a.status === 201).length;
    expect(answers.every((a) => a.status === 201 || a.body.code === 'budget_exhausted')).toBe(true);
    expect(epsilonOf(granted * 500)).toBeLessThanOrEqual(3);
    expect(epsilonOf((granted + 1) * 500)).toBeGreaterThan(3);
    const got = await request(s.t.app).get(`/v1/budgets/${budget.id}`).set(auth(s.key));
    expect(got.body.epsilon_reserved).toBeCloseTo(epsilonOf(granted * 500), 10);
  });
});
