import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { LIMITS, checkRunLimits } from './ledger/limits.js';
import { ServiceError } from './errors.js';
import { sha256Hex } from './ids.js';
import { append, auth, budgetAndRun, dbBytes, step, useTestApp } from './testing/test-deps.js';

const s = useTestApp();
const tenantOfKey = () => s.t.store.tenantForKeyHash(sha256Hex(s.key)) as Promise<string>;
/** `n` distinct leaves: gaussians with different noise. */
const distinct = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ kind: 'gaussian', noise_multiplier: 100 + from + i }));

function expectLimit(res: request.Response, limit: number) {
  expect(res.status, JSON.stringify(res.body)).toBe(422);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ code: 'limit_exceeded', limit });
}

describe('limits (openapi.yaml "Limits"): 422 limit_exceeded and nothing stored', () => {
  it('a composed event with more distinct leaves than a request may price is refused before any pricing', async () => {
    const { run } = await budgetAndRun(s.t, s.key, { epsilon: 1000 });
    const before = dbBytes(s.t);
    const big = await append(s.t, s.key, run.id, [{ kind: 'composed', events: distinct(LIMITS.leavesPerRequest + 1) }]);
    expectLimit(big, LIMITS.leavesPerRequest);
    expect(dbBytes(s.t).equals(before)).toBe(true);
    // The same leaves repeated many times are one leaf each: accepted.
    const repeated = await append(s.t, s.key, run.id, [
      { kind: 'composed', events: [...distinct(8), ...distinct(8), ...distinct(8)] },
    ]);
    expect(repeated.status, JSON.stringify(repeated.body)).toBe(200);
  });

  it('distinct leaves accumulate per run: the append that takes a run past the limit is refused', async () => {
    const { run } = await budgetAndRun(s.t, s.key, { epsilon: 1000 });
    const half = LIMITS.leavesPerRun / 2;
    expect((await append(s.t, s.key, run.id, [{ kind: 'composed', events: distinct(half) }])).status).toBe(200);
    expect((await append(s.t, s.key, run.id, [{ kind: 'composed', events: distinct(half, half) }])).status).toBe(200);
    const before = dbBytes(s.t);
    expectLimit(await append(s.t, s.key, run.id, [{ kind: 'gaussian', noise_multiplier: 7 }]), LIMITS.leavesPerRun);
    expect(dbBytes(s.t).equals(before)).toBe(true);
    // A leaf the run already has is still fine.
    expect((await append(s.t, s.key, run.id, [{ kind: 'gaussian', noise_multiplier: 100 }])).status).toBe(200);
  });

  it('reservation steps, commit sizes and appends above 1,000 records are refused by the schema', async () => {
    const { run } = await budgetAndRun(s.t, s.key);
    const big = await request(s.t.app)
      .post(`/v1/runs/${run.id}/reservations`)
      .set(auth(s.key))
      .send({ steps: LIMITS.stepsPerReservation + 1, event: step() });
    expect(big.status).toBe(400);
    expect(big.body).toMatchObject({ code: 'validation_failed', pointer: '/steps' });
    const used = await request(s.t.app)
      .post('/v1/reservations/res_x/commit')
      .set(auth(s.key))
      .send({ used: 2_000_000 });
    expect(used.status).toBe(400);
    expect(used.body).toMatchObject({ code: 'validation_failed', pointer: '/used' });
    const many = await append(
      s.t,
      s.key,
      run.id,
      Array.from({ length: LIMITS.recordsPerRequest + 1 }, () => ({ kind: 'no_op' })),
    );
    expect(many.status).toBe(400);
    expect(many.body).toMatchObject({ code: 'validation_failed', pointer: '/events' });
  });

  it('open reservations per budget are capped', async () => {
    const { budget, run } = await budgetAndRun(s.t, s.key, { epsilon: 1000 });
    const reserve = () =>
      request(s.t.app)
        .post(`/v1/runs/${run.id}/reservations`)
        .set(auth(s.key))
        .send({ steps: 1, event: { kind: 'no_op' } });
    expect((await reserve()).status).toBe(201);
    const tenant = (await s.t.store.getRun(await tenantOfKey(), run.id))?.tenant;
    await s.t.store.write(async (tx) => {
      for (let i = 1; i < LIMITS.openReservationsPerBudget; i++) {
        await tx.insertReservation({
          id: `res_lim_${i}`,
          tenant: tenant!,
          run_id: run.id,
          budget_id: budget.id,
          steps: 1,
          event: { kind: 'no_op' },
          status: 'open',
          created_at: '2026-01-01T00:00:00.000Z',
          expires_at: '2026-01-01T01:00:00.000Z',
        });
      }
    });
    const before = dbBytes(s.t);
    expectLimit(await reserve(), LIMITS.openReservationsPerBudget);
    expect(dbBytes(s.t).equals(before)).toBe(true);
  });

  it('records per run and ledger sizes are checked on the state after the append', () => {
    const code = (f: () => void) => {
      try {
        f();
        return 'ok';
      } catch (err) {
        return err instanceof ServiceError ? err.code : String(err);
      }
    };
    const ledger = [step() as never];
    expect(
      code(() =>
        checkRunLimits({ eventCount: LIMITS.recordsPerRun - 10, added: 10, runLedger: ledger, budgetLedger: ledger }),
      ),
    ).toBe('ok');
    expect(
      code(() =>
        checkRunLimits({ eventCount: LIMITS.recordsPerRun - 10, added: 11, runLedger: ledger, budgetLedger: ledger }),
      ),
    ).toBe('limit_exceeded');
    const alternating = Array.from(
      { length: LIMITS.ledgerNodesPerRun + 1 },
      (_, i) => ({ kind: 'gaussian', noise_multiplier: 1 + (i % 2) }) as never,
    );
    expect(code(() => checkRunLimits({ eventCount: 0, added: 1, runLedger: alternating, budgetLedger: ledger }))).toBe(
      'limit_exceeded',
    );
    expect(
      code(() =>
        checkRunLimits({
          eventCount: 0,
          added: 1,
          runLedger: ledger,
          budgetLedger: alternating.concat(alternating, alternating),
        }),
      ),
    ).toBe('limit_exceeded');
  });
});
