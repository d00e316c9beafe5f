/**
 * Faults across processes: a server killed with SIGKILL mid-stream loses no acknowledged event and leaves no
 * half-written batch; two server processes on one SQLite file never overspend a budget 64 clients race for.
 * Runs the CLI from source (test/support/dpledger-from-source.mjs).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RdpAccountant, type DpEvent } from '@dpledger/accounting';
import { BudgetExhaustedError, createApiKey, createClient } from '@dpledger/client';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../services/accountant/src/testing/child-server.js';

const dir = mkdtempSync(join(tmpdir(), 'dpledger-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const step = (i: number): DpEvent => ({
  kind: 'poisson_sampled',
  sampling_probability: 0.01,
  event: { kind: 'gaussian', noise_multiplier: 1 + (i % 7) / 10 },
});
const sampler = { kind: 'poisson', dataset_size: 60000, expected_batch_size: 600 } as const;

async function keyFor(server: ChildServer, tenant: string) {
  const token = readFileSync(server.adminTokenPath!, 'utf8').trim();
  return (await createApiKey(server.url, token, tenant)).api_key;
}

describe('accountant processes under faults', () => {
  it('loses no acknowledged event when killed mid-stream', async () => {
    const data = join(dir, 'kill');
    const first = await startChildServer(data);
    const apiKey = await keyFor(first, 'crash');
    const c = createClient({ baseUrl: first.url, apiKey, retries: 0 });
    const budget = await c.createBudget({ name: 'b', epsilon: 1000, delta: 1e-5 });
    const run = await c.createRun({ budget_id: budget.id, name: 'r', sampler });
    const acked: { sequence: number; events: DpEvent[] }[] = [];
    let i = 0;
    const inflight: Promise<unknown>[] = [];
    for (let n = 0; n < 40; n++) {
      const events = Array.from({ length: 10 }, () => step(i++));
      const p = c.appendEvents(run.id, events).then((a) => acked.push({ sequence: a.sequence, events }));
      if (n < 30) await p;
      else inflight.push(p.catch(() => undefined));
    }
    first.child.kill('SIGKILL');
    await Promise.all(inflight);
    expect(await first.exited).toBe('SIGKILL');

    const second = await startChildServer(data);
    try {
      const c2 = createClient({ baseUrl: second.url, apiKey });
      const records = await c2.listEvents(run.id);
      expect(records.length % 10).toBe(0);
      expect(records.length).toBeGreaterThanOrEqual(acked.length * 10);
      expect(records.map((r) => r.sequence)).toEqual(records.map((_, k) => k));
      for (const a of acked) {
        expect(records.slice(a.sequence - 9, a.sequence + 1).map((r) => r.event)).toEqual(a.events);
      }
      const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });
      for (const r of records) acc.compose(r.event);
      expect((await c2.getBudget(budget.id)).epsilon_spent).toBeCloseTo(acc.getEpsilon(1e-5), 10);
      expect((await c2.getRun(run.id)).event_count).toBe(records.length);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  it('64 clients on two server processes sharing one database never overspend a budget', async () => {
    const data = join(dir, 'race');
    const a = await startChildServer(data);
    const b = await startChildServer(data);
    try {
      const apiKey = await keyFor(a, 'race');
      const admin = createClient({ baseUrl: a.url, apiKey });
      const limit = 1.0;
      const budget = await admin.createBudget({ name: 'shared', epsilon: limit, delta: 1e-5 });
      const runs = await Promise.all(
        [0, 1].map((k) => admin.createRun({ budget_id: budget.id, name: `r${k}`, sampler })),
      );
      let ok = 0;
      await Promise.all(
        Array.from({ length: 64 }, async (_, k) => {
          const c = createClient({ baseUrl: k % 2 ? a.url : b.url, apiKey });
          for (;;) {
            try {
              await c.appendEvents(runs[k % 2]!.id, [step(k)]);
              ok++;
            } catch (err) {
              if (err instanceof BudgetExhaustedError) return;
              throw err;
            }
          }
        }),
      );
      const records = [...(await admin.listEvents(runs[0]!.id)), ...(await admin.listEvents(runs[1]!.id))];
      expect(records.length).toBe(ok);
      expect(ok).toBeGreaterThan(10);
      const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });
      for (const r of records) acc.compose(r.event);
      const overspend = acc.getEpsilon(1e-5) > limit ? 1 : 0;
      expect(overspend).toBe(0);
      expect((await admin.getBudget(budget.id)).epsilon_spent).toBeCloseTo(acc.getEpsilon(1e-5), 9);
    } finally {
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      await Promise.all([a.exited, b.exited]);
    }
  });
});
