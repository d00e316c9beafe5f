/**
 * The accountant on PostgreSQL, as a team runs it: `dpledger migrate`, two `dpledger serve` replicas started
 * together on one database (the advisory lock serialises their migrations), any replica answering any request,
 * reports verifying across replicas and a key rotation, pool metrics, and 503 not_ready with Retry-After while the
 * database is down, recovering by itself. A real throwaway PostgreSQL cluster; the CLI runs from source.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyReport } from '@dpledger/audit';
import { createApiKey, createClient } from '@dpledger/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startChildServer, type ChildServer } from '../services/accountant/src/testing/child-server.js';
import { startPgCluster, type PgCluster } from '../services/accountant/src/testing/pg-cluster.js';

const ADMIN = 'pg-replicas-admin-token-0123456789';
const KEK = 'ab'.repeat(32);
const sampler = { kind: 'poisson', dataset_size: 60000, expected_batch_size: 600 } as const;
const step = {
  kind: 'poisson_sampled',
  sampling_probability: 0.01,
  event: { kind: 'gaussian', noise_multiplier: 1.1 },
} as const;
const digest = { sha256: 'c'.repeat(64) };

let cluster: PgCluster;
const dir = mkdtempSync(join(tmpdir(), 'dpledger-pg-replicas-'));
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

async function serve(name: string, env: NodeJS.ProcessEnv = {}): Promise<ChildServer> {
  const s = await startChildServer(join(dir, name), {
    DPLEDGER_DATABASE_URL: cluster.url,
    DPLEDGER_ADMIN_TOKEN: ADMIN,
    DPLEDGER_KEY_ENCRYPTION_KEY: KEK,
    ...env,
  });
  servers.push(s);
  return s;
}

describe('accountant replicas on PostgreSQL', () => {
  it('dpledger migrate checks, applies, and is idempotent', async () => {
    const env = { DPLEDGER_DATABASE_URL: cluster.url };
    const before = await runCli(['migrate', '--check'], env);
    expect(before.code, before.stderr).toBe(1);
    expect(before.stdout).toMatch(/schema version 0, this service needs \d+ \(run dpledger migrate\)/);
    const applied = await runCli(['migrate'], env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/schema version 0 -> \d+ \(applied 1, 2, /);
    expect((await runCli(['migrate', '--check'], env)).code).toBe(0);
    expect((await runCli(['migrate'], env)).stdout).toContain('up to date');
  }, 60_000);

  it('is refused without a shared admin token', async () => {
    const r = await runCli(['serve', '--port', '0', '--database-url', cluster.url], { DPLEDGER_ADMIN_TOKEN: '' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('DPLEDGER_ADMIN_TOKEN');
  }, 30_000);

  it("two replicas share every record; one's report verifies with the other's keys across a rotation", async () => {
    const [a, b] = await Promise.all([
      serve('a', { DPLEDGER_KEY_REFRESH_MS: '200' }),
      serve('b', { DPLEDGER_KEY_REFRESH_MS: '200' }),
    ]);
    for (const s of [a, b]) {
      const ready = await fetch(`${s.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ store: 'postgres' });
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toMatch(/^dpledger_db_pool_max \d+$/m);
      expect(metrics).toMatch(/^dpledger_db_pool_in_use \d+$/m);
    }
    const apiKey = (await createApiKey(a.url, ADMIN, 'team')).api_key;
    const ca = createClient({ baseUrl: a.url, apiKey });
    const cb = createClient({ baseUrl: b.url, apiKey });
    const budget = await ca.createBudget({ name: 'shared', epsilon: 10, delta: 1e-5 });
    const run1 = await cb.createRun({ budget_id: budget.id, name: 'r1', sampler });
    await ca.appendEvents(run1.id, [step, step]);
    await cb.appendEvents(run1.id, [step]);
    expect((await ca.listEvents(run1.id)).map((r) => r.sequence)).toEqual([0, 1, 2]);
    await ca.closeRun(run1.id, { model_digest: digest, dataset_digest: digest });
    const report1 = await ca.getReport(run1.id);
    expect(verifyReport(report1, await cb.listKeys()).predicate).toMatchObject({ run: { id: run1.id } });

    const rotated = await fetch(`${a.url}/v1/keys/rotate`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN}` },
    });
    expect(rotated.status).toBe(201);
    const newKid = ((await rotated.json()) as { kid: string }).kid;
    await new Promise((ok) => setTimeout(ok, 600)); // more than b's refresh interval
    const run2 = await ca.createRun({ budget_id: budget.id, name: 'r2', sampler });
    await cb.appendEvents(run2.id, [step]);
    await cb.closeRun(run2.id, { model_digest: digest, dataset_digest: digest });
    const report2 = await cb.getReport(run2.id);
    const verified = verifyReport(report2, await ca.listKeys());
    expect(verified.keyid).toBe(newKid);
    expect(verifyReport(report1, await ca.listKeys()).keyid).not.toBe(newKid);
    // The private keys are sealed in the database (DPLEDGER_KEY_ENCRYPTION_KEY), never stored as PEM.
    const db = new pg.Client({ connectionString: cluster.url });
    await db.connect();
    const rows = (await db.query<{ private_pem: string }>('SELECT private_pem FROM signing_keys')).rows;
    await db.end();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const r of rows) expect(r.private_pem).toMatch(/^dpledger-sealed:v1:/);
  }, 60_000);

  it('answers 503 not_ready with Retry-After while PostgreSQL is down, and recovers by itself', async () => {
    const s = await serve('c', { DPLEDGER_PG_STATEMENT_TIMEOUT_MS: '1000' });
    const apiKey = (await createApiKey(s.url, ADMIN, 'down')).api_key;
    const c = createClient({ baseUrl: s.url, apiKey });
    const budget = await c.createBudget({ name: 'b', epsilon: 10, delta: 1e-5 });
    cluster.halt();
    try {
      const started = Date.now();
      const ready = await fetch(`${s.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get('retry-after')).toBe('1');
      const res = await fetch(`${s.url}/v1/budgets/${budget.id}`, { headers: { Authorization: `Bearer ${apiKey}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toMatchObject({ status: 503, code: 'not_ready' });
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      cluster.resume();
    }
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    expect((await c.getBudget(budget.id)).id).toBe(budget.id);
  }, 60_000);
});
