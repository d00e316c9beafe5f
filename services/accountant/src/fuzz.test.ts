/** Mutated valid requests: every refused one must leave the SQLite file byte-for-byte unchanged. */
import fc from 'fast-check';
import request from 'supertest';
import { assertDpEvent } from '@dpledger/accounting';
import { describe, expect, it } from 'vitest';
import { auth, budgetAndRun, dbBytes, step, useTestApp } from './testing/test-deps.js';

const s = useTestApp();

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path (as key lists) inside a JSON value. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

type Mutation = { pick: number; op: 'set' | 'delete' | 'add'; value: Json; name: string };

function mutate(body: Json, m: Mutation): Json {
  const copy = structuredClone(body);
  const all = paths(copy).filter((p) => p.length > 0);
  const path = all[m.pick % all.length]!;
  const parent = path.slice(0, -1).reduce<Json>((o, k) => (o as Record<string, Json>)[k as string] as Json, copy) as Record<string, Json> | Json[];
  const last = path[path.length - 1]!;
  if (m.op === 'set') (parent as Record<string, Json>)[last as string] = m.value;
  else if (m.op === 'delete') Array.isArray(parent) ? parent.splice(last as number, 1) : delete parent[last as string];
  else if (!Array.isArray(parent)) parent[m.name] = m.value;
  else parent.push(m.value);
  return copy;
}

const value: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(-1, 0, 1.5, 2, 1e16, -1e-300, 1e308, 0.5, 3, 'gaussian', 'composed', 'unsupported', 'x', '', null, true, [], {}),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.string({ maxLength: 8 }),
);
const mutation = fc.record({ pick: fc.nat(), op: fc.constantFrom<'set' | 'delete' | 'add'>('set', 'set', 'delete', 'add'), value, name: fc.constantFrom('seed', 'kind', 'extra', 'count') });

describe('fuzz: mutated valid requests', () => {
  it('a refused request never changes the database; an accepted append holds only valid events', async () => {
    const { run } = await budgetAndRun(s.t, s.key, { epsilon: 1000 });
    const bodies: { path: string; body: Json }[] = [
      { path: `/v1/runs/${run.id}/events`, body: { events: [step() as Json, { kind: 'self_composed', count: 3, event: { kind: 'laplace', noise_multiplier: 2 } }, { kind: 'composed', events: [{ kind: 'zcdp', rho: 0.01 }] }] } },
      { path: `/v1/runs/${run.id}/reservations`, body: { steps: 5, event: step() as Json, ttl_seconds: 60 } },
      { path: '/v1/budgets', body: { name: 'b', epsilon: 1, delta: 1e-5, accountant: 'rdp', neighboring_relation: 'replace_one' } },
      { path: '/v1/runs', body: { budget_id: run.id, name: 'r', sampler: { kind: 'poisson', dataset_size: 10, expected_batch_size: 2 } } },
    ];
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(bodies.length - 1), mutation, async (which, m) => {
        const { path, body } = bodies[which]!;
        const mutated = mutate(body, m);
        const before = dbBytes(s.t);
        const res = await request(s.t.app).post(path).set(auth(s.key)).set('Content-Type', 'application/json').send(JSON.stringify(mutated));
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
