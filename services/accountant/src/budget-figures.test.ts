import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeSource } from './dashboard/index.js';
import { KeyRing } from './keys/key-ring.js';
import { Meters } from './ledger/meters.js';
import { ADMIN, append, auth, budgetAndRun, dbBytes, step, testApp, type TestApp } from './testing/test-deps.js';

/** Stand-in for a PLD accountant that is tighter than RDP here (the figures' rules, not PLD numerics, are tested). */
const PLD_FIGURE = 0.5;
// RDP at delta 1e-5: 0.652 once, 0.950 twice, 1.185 three times
const gaussian = { kind: 'gaussian', noise_multiplier: 6 };

let t: TestApp;
let key: string;
let n = 0;
beforeAll(async () => {
  t = await testApp({ config: { adminToken: ADMIN, validateResponses: true }, pldEpsilon: () => PLD_FIGURE });
});
afterAll(async () => t.close());
let tenant = '';
const fresh = async () => (key = await t.key((tenant = `acme-${n++}`)));
const get = async (path: string) => (await request(t.app).get(path).set(auth(key))).body;

describe('budget figures', () => {
  it('an expired hold counts as spent when read: the first read logs it fully, later reads write nothing', async () => {
    await fresh();
    const { budget, run } = await budgetAndRun(t, key, { epsilon: 3 });
    const res = await request(t.app)
      .post(`/v1/runs/${run.id}/reservations`)
      .set(auth(key))
      .send({ steps: 10, event: step(), ttl_seconds: 60 });
    expect(res.status).toBe(201);
    const held = await get(`/v1/budgets/${budget.id}`);
    expect(held.epsilon_spent).toBe(0);
    expect(held.epsilon_reserved).toBeGreaterThan(0);
    t.clock.now = new Date(t.clock.now.getTime() + 120_000);
    const after = await get(`/v1/budgets/${budget.id}`);
    // the expired hold is now in the ledger with all 10 reserved steps (issue 8 item 6), gap-free
    expect((await get(`/v1/runs/${run.id}`)).event_count).toBe(10);
    const before = dbBytes(t);
    expect(after.epsilon_spent).toBeCloseTo(held.epsilon_reserved, 12);
    expect(after.epsilon_reserved).toBe(after.epsilon_spent);
    expect(after.epsilon_remaining).toBeCloseTo(3 - held.epsilon_reserved, 12);
    expect((await get('/v1/budgets')).budgets[0].epsilon_reserved).toBe(after.epsilon_reserved);
    expect((await get(`/v1/runs/${run.id}`)).epsilon_spent).toBeCloseTo(held.epsilon_reserved, 12);
    const dashboard = storeSource(t.store, await KeyRing.open(t.store, () => t.clock.now), {
      meters: new Meters(() => PLD_FIGURE),
      now: () => t.clock.now,
    });
    expect((await dashboard.listBudgets(tenant))[0]).toMatchObject({
      epsilon_spent: after.epsilon_spent,
      epsilon_reserved: after.epsilon_reserved,
    });
    expect(dbBytes(t).equals(before)).toBe(true);
  });

  it("a PLD budget's epsilon_spent never decreases between answers; every figure names its accountant", async () => {
    await fresh();
    const { budget, run } = await budgetAndRun(t, key, { epsilon: 1, accountant: 'pld' });
    const first = await append(t, key, run.id, [gaussian, gaussian]);
    expect(first.status).toBe(200);
    expect(first.body.epsilon_spent).toBeCloseTo(0.9497, 3);
    expect(first.body.accountants).toEqual({
      epsilon_spent: 'rdp',
      epsilon_remaining: 'rdp',
      run_epsilon_spent: 'rdp',
    });
    // RDP alone would now refuse, so PLD is consulted and answers lower than the figure already shown.
    const second = await append(t, key, run.id, [gaussian]);
    expect(second.status).toBe(200);
    expect(second.body.epsilon_spent).toBeGreaterThanOrEqual(first.body.epsilon_spent);
    expect(second.body.accountants.epsilon_spent).toBe('rdp');
    const b = await get(`/v1/budgets/${budget.id}`);
    expect(b.epsilon_spent).toBeGreaterThanOrEqual(first.body.epsilon_spent);
    expect(b.epsilon_reserved).toBeGreaterThanOrEqual(b.epsilon_spent);
    expect(b.epsilon_remaining).toBeCloseTo(1 - b.epsilon_reserved, 12);
    expect(Object.keys(b.accountants).sort()).toEqual(['epsilon_remaining', 'epsilon_reserved', 'epsilon_spent']);
  });

  it('an answer that shows a PLD figure says so beside the RDP run figure', async () => {
    await fresh();
    const { budget, run } = await budgetAndRun(t, key, { epsilon: 1, accountant: 'pld' });
    const res = await append(t, key, run.id, [gaussian, gaussian, gaussian]);
    expect(res.status).toBe(200);
    expect(res.body.epsilon_spent).toBe(PLD_FIGURE);
    expect(res.body.run_epsilon_spent).toBeCloseTo(1.1848, 3);
    expect(res.body.accountants).toEqual({ epsilon_spent: 'pld', epsilon_remaining: 'pld', run_epsilon_spent: 'rdp' });
    expect((await get(`/v1/budgets/${budget.id}`)).accountants).toEqual({
      epsilon_spent: 'pld',
      epsilon_reserved: 'pld',
      epsilon_remaining: 'pld',
    });
    expect((await get(`/v1/runs/${run.id}`)).accountants).toEqual({ epsilon_spent: 'rdp' });
    const reservation = await request(t.app)
      .post(`/v1/runs/${run.id}/reservations`)
      .set(auth(key))
      .send({ steps: 1, event: { kind: 'no_op' } });
    expect(reservation.body.accountants).toEqual({ epsilon_remaining: 'pld' });
  });
});
