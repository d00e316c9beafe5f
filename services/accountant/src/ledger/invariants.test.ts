/** The engine defends its invariants when called directly, bypassing HTTP (issue 9 item 2). */
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SPEC_PATH } from '../app.js';
import { ServiceError } from '../errors.js';
import type { BudgetRow } from '../store/store.js';
import { auth, budgetAndRun, dbBytes, step, useTestApp } from '../testing/test-deps.js';
import { appendEvents, type EngineDeps } from './engine.js';
import { LIMITS, assertCount, nextBudget } from './invariants.js';
import { Meters } from './meters.js';
import { pldEpsilon } from './pld-epsilon.js';
import { commitReservation, reserve } from './reservations.js';

const s = useTestApp();
let n = 0;

/** A tenant with a budget, a run and an open reservation, and engine deps on the test app's store. */
async function setup(epsilon = 1) {
  const tenant = `inv-${n++}`;
  const key = await s.t.key(tenant);
  const { budget, run } = await budgetAndRun(s.t, key, { epsilon });
  const deps: EngineDeps = { store: s.t.store, meters: new Meters(pldEpsilon), now: () => s.t.clock.now };
  const res = await reserve(deps, { tenant }, run.id, { steps: 10, event: step() });
  return { tenant, key, budget, run, deps, reservation: res.body.id };
}

/** The error of `call`, thrown at once or rejected later (entry points validate before their transaction). */
async function refused(call: () => Promise<unknown>, code: string): Promise<ServiceError> {
  const err = await Promise.resolve()
    .then(call)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(ServiceError);
  expect((err as ServiceError).code).toBe(code);
  return err as ServiceError;
}

const BAD_COUNTS = [-1000000, -1, 1.5, Number.NaN, Infinity, 1e9, 2 ** 53, '5', null];

describe('engine entry points refuse counts out of range (400) and write nothing', () => {
  it('commitReservation: `used` must be an integer in [0, max] (the -1,000,000 refund of the issue)', async () => {
    const { tenant, key, budget, run, deps, reservation } = await setup();
    await appendEvents(deps, { tenant }, run.id, Array(50).fill(step()));
    const before = dbBytes(s.t);
    for (const used of BAD_COUNTS) {
      const err = await refused(
        () => commitReservation(deps, { tenant }, reservation, used as number),
        'validation_failed',
      );
      expect(err.status).toBe(400);
      expect(err.extras.pointer).toBe('/used');
    }
    expect(dbBytes(s.t).equals(before)).toBe(true);
    // The rest of the issue: 7,000 more steps against epsilon 1 are refused, not logged (in requests of at most 1,000).
    for (let k = 0; k < 7; k++)
      await refused(
        () => appendEvents(deps, { tenant }, run.id, Array(1000).fill(step(0.01, 0.8))),
        'budget_exhausted',
      );
    const b = (await request(s.t.app).get(`/v1/budgets/${budget.id}`).set(auth(key))).body;
    expect(b.epsilon_spent).toBeGreaterThan(0);
    expect(b.epsilon_reserved).toBeLessThanOrEqual(1);
  });

  it('reserve: `steps` must be an integer in [1, max], `ttl_seconds` in [1, 86400]', async () => {
    const { tenant, run, deps } = await setup();
    const before = dbBytes(s.t);
    for (const steps of [...BAD_COUNTS, 0]) {
      expect(
        (
          await refused(
            () => reserve(deps, { tenant }, run.id, { steps: steps as number, event: step() }),
            'validation_failed',
          )
        ).extras.pointer,
      ).toBe('/steps');
    }
    for (const ttl of [0, -5, 0.5, 86401]) {
      expect(
        (
          await refused(
            () => reserve(deps, { tenant }, run.id, { steps: 1, event: step(), ttl_seconds: ttl }),
            'validation_failed',
          )
        ).extras.pointer,
      ).toBe('/ttl_seconds');
    }
    expect(dbBytes(s.t).equals(before)).toBe(true);
  });

  it('appendEvents: between 1 and 10,000 events, each a valid DpEvent', async () => {
    const { tenant, run, deps } = await setup();
    const before = dbBytes(s.t);
    await refused(() => appendEvents(deps, { tenant }, run.id, []), 'validation_failed');
    await refused(
      () => appendEvents(deps, { tenant }, run.id, Array(LIMITS.events + 1).fill({ kind: 'no_op' })),
      'validation_failed',
    );
    await refused(() => appendEvents(deps, { tenant }, run.id, 'no_op' as never), 'validation_failed');
    await refused(
      () => appendEvents(deps, { tenant }, run.id, [{ kind: 'self_composed', count: -3, event: step() }]),
      'validation_failed',
    );
    expect(dbBytes(s.t).equals(before)).toBe(true);
  });

  it('a negative RDP increment (a faulty meter) is a 500 and the transaction rolls back', async () => {
    const { tenant, run, deps } = await setup();
    const meter = deps.meters.rdp('add_or_remove_one');
    meter.cost = () => meter.orders.map(() => -1);
    const before = dbBytes(s.t);
    await refused(() => appendEvents(deps, { tenant }, run.id, [{ kind: 'laplace', noise_multiplier: 3 }]), 'internal');
    await refused(
      () => reserve(deps, { tenant }, run.id, { steps: 5, event: { kind: 'laplace', noise_multiplier: 7 } }),
      'internal',
    );
    meter.cost = () => meter.orders.map(() => Number.NaN);
    await refused(() => appendEvents(deps, { tenant }, run.id, [{ kind: 'laplace', noise_multiplier: 5 }]), 'internal');
    expect(dbBytes(s.t).equals(before)).toBe(true);
  });
});

const row = (over: Partial<BudgetRow>): BudgetRow => ({
  id: 'b',
  tenant: 't',
  name: 'b',
  epsilon: 1,
  delta: 1e-5,
  accountant: 'rdp',
  neighboring_relation: 'add_or_remove_one',
  created_at: '',
  epsilon_spent: 0.5,
  epsilon_reserved: 0.6,
  rdp: [1, 2],
  ledger: [],
  run_count: 0,
  ...over,
});

describe('nextBudget', () => {
  it('refuses an RDP vector that shrinks, turns NaN or changes length, and a spent epsilon that decreases', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as ServiceError).code;
      }
      return 'ok';
    };
    expect(code(() => nextBudget(row({}), row({ rdp: [1, 1.5] })))).toBe('internal');
    expect(code(() => nextBudget(row({}), row({ rdp: [1, Number.NaN] })))).toBe('internal');
    expect(code(() => nextBudget(row({}), row({ rdp: [1, 2, 3] })))).toBe('internal');
    expect(code(() => nextBudget(row({}), row({ epsilon_spent: 0.4 })))).toBe('internal');
    expect(code(() => nextBudget(row({}), row({ epsilon_spent: Number.NaN })))).toBe('internal');
    expect(
      code(() =>
        nextBudget(row({ rdp: [Infinity, 2] }), row({ rdp: [Infinity, 3], epsilon_spent: 0.7, epsilon_reserved: 0.7 })),
      ),
    ).toBe('ok');
  });

  it('keeps the larger spent figure of a pld budget priced by RDP before and by PLD now (both upper bounds)', () => {
    const got = nextBudget(
      row({ accountant: 'pld' }),
      row({ accountant: 'pld', rdp: [2, 3], epsilon_spent: 0.45, epsilon_reserved: 0.48 }),
    );
    expect(got.epsilon_spent).toBe(0.5);
    expect(got.epsilon_reserved).toBe(0.5);
  });
});

describe('LIMITS', () => {
  it('match openapi.yaml', () => {
    const spec = parseYaml(readFileSync(DEFAULT_SPEC_PATH, 'utf8')) as {
      components: { schemas: Record<string, { properties: Record<string, { maximum?: number; maxItems?: number }> }> };
    };
    const schemas = spec.components.schemas;
    expect(schemas['EventAppend']!.properties['events']!.maxItems).toBe(LIMITS.events);
    expect(schemas['ReservationCreate']!.properties['steps']!.maximum).toBe(LIMITS.steps);
    expect(schemas['ReservationCommit']!.properties['used']!.maximum).toBe(LIMITS.steps);
    expect(schemas['ReservationCreate']!.properties['ttl_seconds']!.maximum).toBe(LIMITS.ttlSeconds);
    expect(() => assertCount(LIMITS.steps, 0, LIMITS.steps, '/used')).not.toThrow();
  });
});
