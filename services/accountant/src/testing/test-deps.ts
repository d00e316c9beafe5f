/** Test support: an app on a fresh SQLite file in a temp dir, with response validation on and a settable clock. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Express } from 'express';
import { createApp, type AppDeps } from '../app.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';

export const ADMIN = 'test-admin-token-0123456789';

export interface TestApp {
  app: Express;
  store: SqliteStore;
  dir: string;
  file: string;
  clock: { now: Date };
  /** An API key of a new tenant. */
  key(tenant: string): Promise<string>;
  close(): Promise<void>;
}

export async function testApp(extra: Partial<AppDeps> = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'dpledger-test-'));
  const file = join(dir, 'db.sqlite');
  const store = openSqliteStore(file);
  const clock = { now: new Date('2026-01-01T00:00:00.000Z') };
  const app = await createApp({
    store,
    config: { adminToken: ADMIN, validateResponses: true },
    clock: () => clock.now,
    logger: pino({ level: process.env['TEST_LOG'] ?? 'silent' }),
    ...extra,
  });
  return {
    app,
    store,
    dir,
    file,
    clock,
    key: async (tenant) => {
      const res = await request(app).post('/v1/api-keys').set('Authorization', `Bearer ${ADMIN}`).send({ tenant });
      if (res.status !== 201) throw new Error(`api key: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.api_key as string;
    },
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One DP-SGD step: poisson_sampled(q, gaussian(sigma)). */
export const step = (q = 0.01, sigma = 1.1) => ({
  kind: 'poisson_sampled',
  sampling_probability: q,
  event: { kind: 'gaussian', noise_multiplier: sigma },
});

/** Authorization header of a bearer token. */
export const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

export const SAMPLER = { kind: 'poisson', dataset_size: 60000, expected_batch_size: 600 } as const;

/** Creates a budget and a run on it through the API. */
export async function budgetAndRun(t: TestApp, key: string, budget: Record<string, unknown> = {}) {
  const b = await request(t.app)
    .post('/v1/budgets')
    .set(auth(key))
    .send({ name: 'mnist', epsilon: 1, delta: 1e-5, ...budget });
  if (b.status !== 201) throw new Error(`budget: ${b.status} ${JSON.stringify(b.body)}`);
  const r = await request(t.app)
    .post('/v1/runs')
    .set(auth(key))
    .send({ budget_id: b.body.id, name: 'run-1', sampler: SAMPLER, noise_rng: 'secure' });
  if (r.status !== 201) throw new Error(`run: ${r.status} ${JSON.stringify(r.body)}`);
  return { budget: b.body as { id: string; epsilon: number }, run: r.body as { id: string } };
}

/** Appends events to a run. */
export function append(t: TestApp, key: string, runId: string, events: unknown[], idempotencyKey?: string) {
  const req = request(t.app).post(`/v1/runs/${runId}/events`).set(auth(key));
  if (idempotencyKey !== undefined) req.set('Idempotency-Key', idempotencyKey);
  return req.send({ events });
}

/**
 * Registers vitest hooks: one app per file, a fresh tenant (and key) per test. Read `s.t` and `s.key` in tests.
 */
export function useTestApp(): { t: TestApp; key: string; fresh(prefix: string): Promise<string> } {
  let n = 0;
  const s = {
    t: undefined as unknown as TestApp,
    key: '',
    fresh: (prefix: string) => s.t.key(`${prefix}-${n++}`),
  };
  beforeAll(async () => {
    s.t = await testApp();
  });
  afterAll(async () => s.t.close());
  beforeEach(async () => {
    s.key = await s.fresh('acme');
  });
  return s;
}

/** The bytes of the database file and its WAL: what must not change when a request is refused. */
export function dbBytes(t: TestApp): Buffer {
  const wal = `${t.file}-wal`;
  return Buffer.concat([readFileSync(t.file), existsSync(wal) ? readFileSync(wal) : Buffer.alloc(0)]);
}
