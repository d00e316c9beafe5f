import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { append, auth, budgetAndRun, useTestApp } from './testing/test-deps.js';

const s = useTestApp();

describe('every event is priced under the budget relation (issue 8 item 5)', () => {
  // a zcdp step without neighboring_relation is priced for add_or_remove_one
  it('a replace_one budget refuses a zcdp step without neighboring_relation and stores nothing', async () => {
    const { budget, run } = await budgetAndRun(s.t, s.key, { neighboring_relation: 'replace_one' });
    const r = await append(s.t, s.key, run.id, [
      { kind: 'no_op' },
      { kind: 'self_composed', count: 5, event: { kind: 'zcdp', rho: 0.01, xi: 0 } },
    ]);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'unsupported_event', pointer: '/events/1/event' });
    const got = await request(s.t.app).get(`/v1/runs/${run.id}`).set(auth(s.key));
    expect(got.body.event_count).toBe(0);
    const b = await request(s.t.app).get(`/v1/budgets/${budget.id}`).set(auth(s.key));
    expect(b.body.epsilon_spent).toBe(0);
    // the reservation path prices the same way
    const res = await request(s.t.app)
      .post(`/v1/runs/${run.id}/reservations`)
      .set(auth(s.key))
      .send({ steps: 3, event: { kind: 'zcdp', rho: 0.01, xi: 0 } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('unsupported_event');
  });

  it('accepts a zcdp step tagged with the budget relation and refuses one tagged with the other', async () => {
    const replace = await budgetAndRun(s.t, s.key, { neighboring_relation: 'replace_one' });
    const ok = await append(s.t, s.key, replace.run.id, [
      { kind: 'zcdp', rho: 0.01, xi: 0, neighboring_relation: 'replace_one' },
    ]);
    expect(ok.status).toBe(200);
    const add = await budgetAndRun(s.t, s.key, { neighboring_relation: 'add_or_remove_one' });
    const refused = await append(s.t, s.key, add.run.id, [
      { kind: 'gaussian', noise_multiplier: 4, neighboring_relation: 'replace_one' },
    ]);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'unsupported_event', pointer: '/events/0' });
    expect((await append(s.t, s.key, add.run.id, [{ kind: 'zcdp', rho: 0.01, xi: 0 }])).status).toBe(200);
  });

  // the shuffle bound holds under replace_one only
  it('refuses a shuffle run in an add_or_remove_one budget and creates nothing', async () => {
    const b = await request(s.t.app)
      .post('/v1/budgets')
      .set(auth(s.key))
      .send({ name: 'shuffle-add', epsilon: 1, delta: 1e-5 });
    const shuffle = { kind: 'shuffle', dataset_size: 39, expected_batch_size: 20 };
    const r = await request(s.t.app)
      .post('/v1/runs')
      .set(auth(s.key))
      .send({ budget_id: b.body.id, name: 'shuffled', sampler: shuffle });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'validation_failed', pointer: '/sampler/kind' });
    expect((await request(s.t.app).get(`/v1/budgets/${b.body.id}`).set(auth(s.key))).body.run_count).toBe(0);
    const rb = await request(s.t.app)
      .post('/v1/budgets')
      .set(auth(s.key))
      .send({ name: 'shuffle-replace', epsilon: 20, delta: 1e-5, neighboring_relation: 'replace_one' });
    const ok = await request(s.t.app)
      .post('/v1/runs')
      .set(auth(s.key))
      .send({ budget_id: rb.body.id, name: 'shuffled', sampler: shuffle });
    expect(ok.status).toBe(201);
    expect(
      (
        await append(s.t, s.key, ok.body.id, [
          {
            kind: 'self_composed',
            count: 2,
            event: { kind: 'gaussian', noise_multiplier: 1, neighboring_relation: 'replace_one' },
          },
        ])
      ).status,
    ).toBe(200);
  });
});
