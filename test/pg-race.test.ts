/**
 * Several accountant processes on one PostgreSQL database racing one budget, and surviving faults: 64 clients on 3
 * replicas never overspend and every acknowledged record is logged once, gap-free; a replica killed with SIGKILL
 * mid-stream, and a PostgreSQL restart mid-stream, lose and double nothing when clients retry with the same
 * Idempotency-Keys. A real throwaway PostgreSQL cluster; the CLI runs from source.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RdpAccountant, type DpEvent } from '@dpledger/accounting';
import { BudgetExhaustedError, createApiKey, createClient } from '@dpledger/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../services/accountant/src/testing/child-server.js';
import { startPgCluster, type PgCluster } from '../services/accountant/src/testing/pg-cluster.js';

const ADMIN = 'pg-race-admin-token-0123456789abcdef';
const sampler = { kind: 'poisson', dataset_size: 60000, expected_batch_size: 600 } as const;
const step = (i: number): DpEvent => ({
  kind: 'poisson_sampled',
  sampling_probability: 0.01,
  event: { kind: 'gaussian', noise_multiplier: 1 + (i % 7) / 10 },
});

let cluster: PgCluster;
let db = 0;
const dir = mkdtempSync(join(tmpdir(), 'dpledger-pg-race-'));
const servers: ChildServer[] = [];
beforeAll(async () => {
  cluster = await startPgCluster();
}, 60_000);
afterAll(async () => {
  for (const s of servers) s.child.kill('SIGKILL');
  await Promise.all(servers.map((s) => s.exited));
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `count` replicas on a new database of the cluster, started together. */
async function replicas(count: number, env: NodeJS.ProcessEnv = {}): Promise<ChildServer[]> {
  const name = `race_${++db}`;
  const setup = await import('pg');
  const c = new setup.default.Client({ connectionString: cluster.url });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = cluster.url.replace(/\/postgres$/, `/${name}`);
  const started = await Promise.all(
    Array.from({ length: count }, (_, k) =>
      startChildServer(join(dir, `${name}-${k}`), {
        DPLEDGER_DATABASE_URL: url,
        DPLEDGER_ADMIN_TOKEN: ADMIN,
        DPLEDGER_PG_POOL_SIZE: '8',
        ...env,
      }),
    ),
  );
  servers.push(...started);
  return started;
}

async function stop(list: ChildServer[]): Promise<void> {
  for (const s of list) s.child.kill('SIGTERM');
  await Promise.all(list.map((s) => s.exited));
}

function epsilonOf(events: DpEvent[]): number {
  const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });
  for (const e of events) acc.compose(e);
  return acc.getEpsilon(1e-5);
}

/**
 * Appends `events` with one Idempotency-Key, retrying on the next replica after a transport error or a 503 until one
 * answers; returns the acknowledged last sequence and how many tries met a 503.
 */
async function appendUntilAcked(
  urls: () => string[],
  start: number,
  apiKey: string,
  runId: string,
  events: DpEvent[],
  key: string,
) {
  let unavailable = 0;
  for (let attempt = 0; attempt < 400; attempt++) {
    const list = urls();
    const url = list[(start + attempt) % list.length]!;
    try {
      const res = await fetch(`${url}/v1/runs/${runId}/events`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${apiKey}`, 'Idempotency-Key': key, 'Content-Type': 'application/json' },
        body: JSON.stringify({ events }),
        signal: AbortSignal.timeout(15_000),
      });
      if (res.status === 503) {
        unavailable++;
        expect(res.headers.get('retry-after')).toBe('1');
        expect(((await res.json()) as { code: string }).code).toBe('not_ready');
        await new Promise((ok) => setTimeout(ok, 100));
        continue;
      }
      expect(res.status, await res.clone().text()).toBe(200);
      return { sequence: ((await res.json()) as { sequence: number }).sequence, unavailable };
    } catch (err) {
      if ((err as Error).name === 'AssertionError') throw err;
      await new Promise((ok) => setTimeout(ok, 50)); // the replica is gone or cut the connection: try the next
    }
  }
  throw new Error(`append ${key} was never acknowledged`);
}

describe('replicas on PostgreSQL racing one budget', () => {
  it('64 clients, 3 replicas, appending/reserving/committing: overspend 0, acked = logged, no gaps', async () => {
    const [a, b, c] = await replicas(3);
    const urls = [a!.url, b!.url, c!.url];
    try {
      const apiKey = (await createApiKey(a!.url, ADMIN, 'race')).api_key;
      const admin = createClient({ baseUrl: b!.url, apiKey });
      const limit = 1.0;
      const budget = await admin.createBudget({ name: 'shared', epsilon: limit, delta: 1e-5 });
      const runs = await Promise.all(
        [0, 1, 2, 3].map((k) => admin.createRun({ budget_id: budget.id, name: `r${k}`, sampler })),
      );
      let acknowledged = 0;
      await Promise.all(
        Array.from({ length: 64 }, async (_, k) => {
          const cl = createClient({ baseUrl: urls[k % 3]!, apiKey });
          const runId = runs[k % 4]!.id;
          for (let n = 0; ; n++) {
            try {
              if ((k + n) % 2 === 0) {
                await cl.appendEvents(runId, [step(k)]);
                acknowledged += 1;
              } else {
                const r = await cl.reserve(runId, { steps: 3, event: step(k) });
                const used = 1 + ((k + n) % 3);
                await cl.commit(r.id, used);
                acknowledged += used;
              }
            } catch (err) {
              if (err instanceof BudgetExhaustedError) return;
              throw err;
            }
          }
        }),
      );
      const perRun = await Promise.all(runs.map((r) => admin.listEvents(r.id)));
      for (const records of perRun) expect(records.map((r) => r.sequence)).toEqual(records.map((_, i) => i));
      const all = perRun.flat();
      expect(all.length).toBe(acknowledged);
      expect(acknowledged).toBeGreaterThan(20);
      const overspend = epsilonOf(all.map((r) => r.event)) > limit ? 1 : 0;
      expect(overspend).toBe(0);
      const stored = await admin.getBudget(budget.id);
      expect(stored.epsilon_spent).toBeCloseTo(epsilonOf(all.map((r) => r.event)), 9);
      expect(stored.epsilon_spent).toBeLessThanOrEqual(limit);
    } finally {
      await stop([a!, b!, c!]);
    }
  }, 120_000);

  it('expired holds noticed by 3 replicas at once are logged once each', async () => {
    const list = await replicas(3);
    try {
      const apiKey = (await createApiKey(list[0]!.url, ADMIN, 'expiry')).api_key;
      const clients = list.map((s) => createClient({ baseUrl: s.url, apiKey }));
      const budget = await clients[0]!.createBudget({ name: 'b', epsilon: 1000, delta: 1e-5 });
      const run = await clients[1]!.createRun({ budget_id: budget.id, name: 'r', sampler });
      await Promise.all(
        Array.from({ length: 12 }, (_, k) =>
          clients[k % 3]!.reserve(run.id, { steps: 2, event: step(k), ttl_seconds: 1 }),
        ),
      );
      await new Promise((ok) => setTimeout(ok, 1500));
      // Every read of the tenant's runs and events logs the due holds first: 30 of them race on 3 replicas.
      await Promise.all(
        Array.from({ length: 30 }, (_, k) =>
          k % 2 ? clients[k % 3]!.getRun(run.id) : clients[k % 3]!.listEvents(run.id),
        ),
      );
      const records = await clients[2]!.listEvents(run.id);
      expect(records.length).toBe(12 * 2);
      expect(records.map((r) => r.sequence)).toEqual(records.map((_, i) => i));
      expect((await clients[0]!.getRun(run.id)).event_count).toBe(24);
      expect((await clients[0]!.getBudget(budget.id)).epsilon_spent).toBeCloseTo(
        epsilonOf(records.map((r) => r.event)),
        9,
      );
    } finally {
      await stop(list);
    }
  }, 120_000);

  it('replica SIGKILLed mid-stream: clients retry elsewhere with the same keys; each acked event once', async () => {
    const list = await replicas(3);
    let alive = list.map((s) => s.url);
    try {
      const apiKey = (await createApiKey(list[0]!.url, ADMIN, 'kill')).api_key;
      const admin = createClient({ baseUrl: list[1]!.url, apiKey });
      const budget = await admin.createBudget({ name: 'b', epsilon: 1000, delta: 1e-5 });
      const run = await admin.createRun({ budget_id: budget.id, name: 'r', sampler });
      const acked = new Map<string, { sequence: number; events: DpEvent[] }>();
      let sent = 0;
      const clients = Array.from({ length: 12 }, async (_, k) => {
        for (let n = 0; n < 15; n++) {
          const key = `kill-${k}-${n}`;
          const events = Array.from({ length: 4 }, (_, j) => step(k + n + j));
          sent++;
          if (sent === 60) {
            list[0]!.child.kill('SIGKILL');
            alive = alive.filter((u) => u !== list[0]!.url);
          }
          const r = await appendUntilAcked(() => alive, k, apiKey, run.id, events, key);
          acked.set(key, { sequence: r.sequence, events });
        }
      });
      await Promise.all(clients);
      expect(await list[0]!.exited).toBe('SIGKILL');
      const records = await admin.listEvents(run.id);
      expect(acked.size).toBe(12 * 15);
      expect(records.length).toBe(acked.size * 4);
      expect(records.map((r) => r.sequence)).toEqual(records.map((_, i) => i));
      for (const a of acked.values())
        expect(records.slice(a.sequence - 3, a.sequence + 1).map((r) => r.event)).toEqual(a.events);
      expect((await admin.getRun(run.id)).event_count).toBe(records.length);
    } finally {
      await stop(list.slice(1));
    }
  }, 120_000);

  it('PostgreSQL restarted mid-stream: 503s, then recovery, nothing lost or doubled', async () => {
    const list = await replicas(2, { DPLEDGER_PG_STATEMENT_TIMEOUT_MS: '1000' });
    const urls = list.map((s) => s.url);
    try {
      const apiKey = (await createApiKey(list[0]!.url, ADMIN, 'restart')).api_key;
      const admin = createClient({ baseUrl: list[1]!.url, apiKey });
      const budget = await admin.createBudget({ name: 'b', epsilon: 1000, delta: 1e-5 });
      const run = await admin.createRun({ budget_id: budget.id, name: 'r', sampler });
      const acked = new Map<string, { sequence: number; events: DpEvent[] }>();
      let unavailable = 0;
      let sent = 0;
      let restart: Promise<void> | undefined;
      const clients = Array.from({ length: 8 }, async (_, k) => {
        for (let n = 0; n < 15; n++) {
          const key = `restart-${k}-${n}`;
          const events = Array.from({ length: 3 }, (_, j) => step(k * n + j));
          if (++sent === 40) {
            cluster.halt();
            restart = new Promise((ok) => setTimeout(() => ok(cluster.resume()), 1500));
          }
          const r = await appendUntilAcked(() => urls, k, apiKey, run.id, events, key);
          unavailable += r.unavailable;
          acked.set(key, { sequence: r.sequence, events });
        }
      });
      await Promise.all(clients);
      await restart;
      for (const s of list) expect(s.child.exitCode, s.stderr()).toBeNull();
      expect(unavailable).toBeGreaterThan(0);
      const records = await admin.listEvents(run.id);
      expect(acked.size).toBe(8 * 15);
      expect(records.length).toBe(acked.size * 3);
      expect(records.map((r) => r.sequence)).toEqual(records.map((_, i) => i));
      for (const a of acked.values())
        expect(records.slice(a.sequence - 2, a.sequence + 1).map((r) => r.event)).toEqual(a.events);
      for (const s of list) expect((await fetch(`${s.url}/readyz`)).status, s.stderr()).toBe(200);
    } finally {
      await stop(list);
    }
  }, 120_000);
});
