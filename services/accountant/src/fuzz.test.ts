/**
 * Mutated valid requests, and random request sequences against random states: a refused request leaves the SQLite
 * file byte-for-byte unchanged, spent epsilon never decreases, and the epsilon recomputed from the event log
 * equals the budget's.
 */
import fc from 'fast-check';
import request from 'supertest';
import { RdpAccountant, assertDpEvent, stableKey, type DpEvent } from '@dpledger/accounting';
import { describe, expect, it } from 'vitest';
import { auth, budgetAndRun, dbBytes, step, useTestApp } from './testing/test-deps.js';

const s = useTestApp();

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path (as key lists) inside a JSON value. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

type Mutation = { pick: number; op: 'set' | 'delete' | 'add'; value: Json; name: string };

function mutate(body: Json, m: Mutation): Json {
  const copy = structuredClone(body);
  const all = paths(copy).filter((p) => p.length > 0);
  const path = all[m.pick % all.length]!;
  const parent = path.slice(0, -1).reduce<Json>((o, k) => (o as Record<string, Json>)[k as string] as Json, copy) as
    Record<string, Json> | Json[];
  const last = path[path.length - 1]!;
  if (m.op === 'set') (parent as Record<string, Json>)[last as string] = m.value;
  else if (m.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last as string];
  } else if (!Array.isArray(parent)) parent[m.name] = m.value;
  else parent.push(m.value);
  return copy;
}

const value: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(
    -1,
    0,
    1.5,
    2,
    1e16,
    -1e-300,
    1e308,
    0.5,
    3,
    'gaussian',
    'composed',
    'unsupported',
    'x',
    '',
    null,
    true,
    [],
    {},
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.string({ maxLength: 8 }),
);
const mutation = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom<'set' | 'delete' | 'add'>('set', 'set', 'delete', 'add'),
  value,
  name: fc.constantFrom('seed', 'kind', 'extra', 'count'),
});

describe('fuzz: mutated valid requests', () => {
  it('a refused request never changes the database; an accepted append holds only valid events', async () => {
    const { run } = await budgetAndRun(s.t, s.key, { epsilon: 1000 });
    const bodies: { path: string; body: Json }[] = [
      {
        path: `/v1/runs/${run.id}/events`,
        body: {
          events: [
            step() as Json,
            { kind: 'self_composed', count: 3, event: { kind: 'laplace', noise_multiplier: 2 } },
            { kind: 'composed', events: [{ kind: 'zcdp', rho: 0.01 }] },
          ],
        },
      },
      { path: `/v1/runs/${run.id}/reservations`, body: { steps: 5, event: step() as Json, ttl_seconds: 60 } },
      {
        path: '/v1/budgets',
        body: { name: 'b', epsilon: 1, delta: 1e-5, accountant: 'rdp', neighboring_relation: 'replace_one' },
      },
      {
        path: '/v1/runs',
        body: { budget_id: run.id, name: 'r', sampler: { kind: 'poisson', dataset_size: 10, expected_batch_size: 2 } },
      },
    ];
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(bodies.length - 1), mutation, async (which, m) => {
        const { path, body } = bodies[which]!;
        const mutated = mutate(body, m);
        const before = dbBytes(s.t);
        const res = await request(s.t.app)
          .post(path)
          .set(auth(s.key))
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(mutated));
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          refused++;
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(dbBytes(s.t).equals(before)).toBe(true);
        } else if (which === 0) {
          for (const e of (mutated as { events: unknown[] }).events) assertDpEvent(e);
        }
      }),
      { numRuns: 200 }, // the run's fast-check seed (test/setup/fast-check.ts)
    );
    expect(refused).toBeGreaterThan(50);
  });
});

/** One random request of a sequence; indexes pick among the ids created so far (an unknown id when none). */
type Command =
  | { op: 'budget'; epsilon: number }
  | { op: 'run'; budget: number }
  | { op: 'append'; run: number; events: Json[] }
  | { op: 'reserve'; run: number; steps: number; event: Json }
  | { op: 'commit'; reservation: number; used: number }
  | { op: 'close'; run: number };

const goodEvent = fc.constantFrom<Json>(
  step() as Json,
  step(0.02, 0.9) as Json,
  { kind: 'laplace', noise_multiplier: 5 },
  { kind: 'no_op' },
  { kind: 'self_composed', count: 40, event: step() as Json },
  { kind: 'composed', events: [step() as Json, { kind: 'gaussian', noise_multiplier: 20 }] },
);
const badEvent = fc.constantFrom<Json>(
  { kind: 'self_composed', count: -1000, event: step() as Json },
  { kind: 'gaussian', noise_multiplier: -1 },
  { kind: 'gaussian', noise_multiplier: 1e300 },
  { kind: 'poisson_sampled', sampling_probability: 2, event: { kind: 'gaussian', noise_multiplier: 1 } },
  { kind: 'unsupported' },
  { kind: 'non_private' },
);
const anyEvent = fc.oneof({ arbitrary: goodEvent, weight: 4 }, { arbitrary: badEvent, weight: 1 });
const count = fc.constantFrom(-1000000, -1, 0, 0.5, 1, 3, 10, 60, 400, 1e9, 2 ** 53);
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ op: fc.constant('budget' as const), epsilon: fc.constantFrom(0.5, 1, 3) }),
  fc.record({ op: fc.constant('run' as const), budget: fc.nat(3) }),
  fc.record({
    op: fc.constant('append' as const),
    run: fc.nat(3),
    events: fc.array(anyEvent, { minLength: 1, maxLength: 4 }),
  }),
  fc.record({ op: fc.constant('reserve' as const), run: fc.nat(3), steps: count, event: anyEvent }),
  fc.record({ op: fc.constant('commit' as const), reservation: fc.nat(3), used: count }),
  fc.record({ op: fc.constant('close' as const), run: fc.nat(3) }),
);
/** How the path is spelled: canonical, or a case or slash variant that must reach no handler. */
const spelling = fc.constantFrom('canonical', 'canonical', 'canonical', 'upper-prefix', 'upper-last', 'slash');

function spell(path: string, how: string): string {
  if (how === 'upper-prefix') return path.replace('/v1/', '/V1/');
  if (how === 'upper-last') return path.replace(/\/([a-z]+)$/, (_, seg: string) => `/${seg.toUpperCase()}`);
  if (how === 'slash') return `${path}/`;
  return path;
}

const pick = (ids: string[], i: number, none: string) => (ids.length === 0 ? none : ids[i % ids.length]!);

/** Epsilon at `delta` of every event record of the budget's runs, composed afresh by RdpAccountant. */
async function recomputed(runIds: string[], delta: number): Promise<number> {
  const counts = new Map<string, { event: DpEvent; n: number }>();
  for (const id of runIds) {
    for (const r of await s.t.store.listEvents(id, -1, 1_000_000)) {
      const k = stableKey(r.event);
      const c = counts.get(k) ?? { event: r.event as DpEvent, n: 0 };
      c.n++;
      counts.set(k, c);
    }
  }
  // RDP composes by adding per-order vectors (Mironov 2017, Prop. 1), so the order of the records does not matter.
  const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });
  for (const { event, n } of counts.values()) acc.compose(event, n);
  return acc.getEpsilon(delta);
}

describe('fuzz: random request sequences against random states', () => {
  it('a 4xx writes nothing, spent epsilon never decreases, and it equals the epsilon of the event log', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(command, spelling), { minLength: 5, maxLength: 20 }), async (cmds) => {
        const key = await s.fresh('seq');
        const budgets: { id: string; delta: number; runs: string[]; spent: number }[] = [];
        const runs: string[] = [];
        const reservations: string[] = [];
        for (const [cmd, how] of cmds) {
          let path: string;
          let body: unknown;
          const run = pick(runs, (cmd as { run?: number }).run ?? 0, 'run_none');
          if (cmd.op === 'budget') [path, body] = ['/v1/budgets', { name: 'b', epsilon: cmd.epsilon, delta: 1e-5 }];
          else if (cmd.op === 'run')
            [path, body] = [
              '/v1/runs',
              {
                budget_id: budgets.length === 0 ? 'bud_none' : budgets[cmd.budget % budgets.length]!.id,
                name: 'r',
                sampler: { kind: 'poisson', dataset_size: 100, expected_batch_size: 1 },
              },
            ];
          else if (cmd.op === 'append') [path, body] = [`/v1/runs/${run}/events`, { events: cmd.events }];
          else if (cmd.op === 'reserve')
            [path, body] = [`/v1/runs/${run}/reservations`, { steps: cmd.steps, event: cmd.event }];
          else if (cmd.op === 'commit')
            [path, body] = [
              `/v1/reservations/${pick(reservations, cmd.reservation, 'res_none')}/commit`,
              { used: cmd.used },
            ];
          else
            [path, body] = [
              `/v1/runs/${run}/close`,
              { model_digest: { sha256: 'a'.repeat(64) }, dataset_digest: { sha256: 'b'.repeat(64) } },
            ];

          const before = dbBytes(s.t);
          const res = await request(s.t.app)
            .post(spell(path, how))
            .set(auth(key))
            .send(body as object);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect(res.status, `${cmd.op} ${how}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
          if (how !== 'canonical') expect(res.status).toBe(404);
          if (res.status >= 400) {
            expect(dbBytes(s.t).equals(before), `${cmd.op} ${how} ${res.status}`).toBe(true);
          } else if (cmd.op === 'budget') budgets.push({ id: res.body.id, delta: 1e-5, runs: [], spent: 0 });
          else if (cmd.op === 'run') {
            runs.push(res.body.id);
            budgets.find((b) => b.id === res.body.budget_id)!.runs.push(res.body.id);
          } else if (cmd.op === 'reserve') reservations.push(res.body.id);

          for (const b of budgets) {
            const now = (await request(s.t.app).get(`/v1/budgets/${b.id}`).set(auth(key))).body as {
              epsilon_spent: number;
              epsilon_reserved: number;
              epsilon: number;
            };
            expect(now.epsilon_spent).toBeGreaterThanOrEqual(b.spent);
            expect(now.epsilon_reserved).toBeLessThanOrEqual(now.epsilon);
            b.spent = now.epsilon_spent;
            const want = await recomputed(b.runs, b.delta);
            expect(
              Math.abs(now.epsilon_spent - want),
              `budget ${b.id}: ${now.epsilon_spent} vs ${want}`,
            ).toBeLessThanOrEqual(1e-9 * Math.max(1, want));
          }
        }
      }),
      { numRuns: 30 },
    );
    // The sequences reach accepted writes, refusals by validation, by the budget, and unrouted spellings.
    for (const status of [200, 201, 400, 404, 409])
      expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
  }, 300_000);
});
