import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_SQL } from './sqlite-schema.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';
import type { BudgetRow, EventRecord, RunRow } from './store.js';

let dir: string;
let store: SqliteStore;
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const budget = (id: string): BudgetRow => ({
  id,
  tenant: 't',
  name: id,
  epsilon: 1,
  delta: 1e-5,
  accountant: 'rdp',
  neighboring_relation: 'add_or_remove_one',
  created_at: '2026-01-01T00:00:00.000Z',
  epsilon_spent: 0,
  epsilon_reserved: 0,
  rdp: [0],
  ledger: [],
  run_count: 0,
});

describe('SqliteStore group commit', () => {
  it('commits concurrent writes together; a failing one rolls back alone and rejects', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dpledger-store-'));
    store = openSqliteStore(join(dir, 'db.sqlite'));
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        store.write(async (tx) => {
          await tx.insertBudget(budget(`b${i}`));
          if (i % 3 === 0) throw new Error(`refuse ${i}`);
          return i;
        }),
      ),
    );
    results.forEach((r, i) => expect(r.status).toBe(i % 3 === 0 ? 'rejected' : 'fulfilled'));
    const ids = (await store.listBudgets('t')).map((b) => b.id).sort();
    expect(ids).toEqual(
      Array.from({ length: 60 }, (_, i) => i)
        .filter((i) => i % 3 !== 0)
        .map((i) => `b${i}`)
        .sort(),
    );
  });

  it('a later write in the same group sees an earlier one (one connection, one transaction)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dpledger-store-'));
    store = openSqliteStore(join(dir, 'db.sqlite'));
    const a = store.write(async (tx) => tx.insertBudget(budget('x')));
    const b = store.write(async (tx) => (await tx.getBudget('t', 'x'))?.id);
    await a;
    expect(await b).toBe('x');
    // A duplicate id fails alone (constraint error) and leaves the first row as it was.
    await expect(store.write(async (tx) => tx.insertBudget({ ...budget('x'), name: 'dup' }))).rejects.toThrow();
    expect((await store.getBudget('t', 'x'))?.name).toBe('x');
  });
});

describe('SqliteStore fair write scheduling', () => {
  const run = (id: string, tenant: string): RunRow => ({
    id,
    tenant,
    budget_id: `b_${tenant}`,
    name: id,
    sampler: { kind: 'poisson', dataset_size: 100, expected_batch_size: 10 },
    status: 'open',
    event_count: 0,
    epsilon_spent: 0,
    rdp: [0],
    ledger: [],
    created_at: '2026-01-01T00:00:01.000Z',
  });
  const step = { kind: 'gaussian', noise_multiplier: 1 } as const;
  const records = (runId: string, from: number, n: number): EventRecord[] =>
    Array.from({ length: n }, (_, i) => ({
      run_id: runId,
      sequence: from + i,
      event: step,
      recorded_at: '2026-01-01T00:00:02.000Z',
    }));

  async function twoTenants(): Promise<void> {
    dir = mkdtempSync(join(tmpdir(), 'dpledger-store-'));
    store = openSqliteStore(join(dir, 'db.sqlite'));
    await store.write(async (tx) => {
      for (const t of ['a', 'b']) {
        await tx.insertBudget({ ...budget(`b_${t}`), tenant: t });
        await tx.insertRun(run(`r_${t}`, t));
      }
    });
  }

  it("a small write of tenant b waits for one of tenant a's 1,000-record writes, not for all of them", async () => {
    await twoTenants();
    const log: string[] = [];
    const heavy = (i: number) =>
      store
        .write(
          async (tx) => {
            log.push(`a${i} starts`);
            await tx.insertEvents(records('r_a', 1000 * i, 1000));
          },
          { tenant: 'a', records: 1000 },
        )
        .then(() => log.push(`a${i} committed`));
    const writes = [0, 1, 2, 3].map(heavy);
    writes.push(
      store
        .write(
          async (tx) => {
            log.push('b starts');
            await tx.insertEvents(records('r_b', 0, 1));
          },
          { tenant: 'b', records: 1 },
        )
        .then(() => log.push('b committed')),
    );
    await Promise.all(writes);
    // b queued after all four of a's writes, yet runs right after the first (tenants in turn) and is committed
    // before a's second starts (a group never holds more than one request's records).
    expect(log.indexOf('b starts')).toBeLessThan(log.indexOf('a1 starts'));
    expect(log.indexOf('b committed')).toBeLessThan(log.indexOf('a1 starts'));
    expect(log.filter((l) => l.endsWith('starts'))).toEqual([
      'a0 starts',
      'b starts',
      'a1 starts',
      'a2 starts',
      'a3 starts',
    ]);
    expect((await store.listEvents('r_a', -1, 5000)).length).toBe(4000);
  });

  it("yields inside a request's records only while no other write waits; past its records, always", async () => {
    await twoTenants();
    const order: string[] = [];
    let next = 0;
    const heavy = async (n: number, waiting: boolean) => {
      order.length = 0;
      const first = store.write(
        async (tx) => {
          setImmediate(() => order.push('event loop'));
          // At most a request's records per call, as the engine writes them (a run's close: one call per reservation).
          for (let k = 0; k < n; k += 1000) await tx.insertEvents(records('r_a', next + k, Math.min(1000, n - k)));
          order.push(`${n} records written`);
        },
        { tenant: 'a', records: n },
      );
      const other = waiting ? store.write(async () => void order.push('b writes'), { tenant: 'b' }) : undefined;
      await Promise.all([first, other]);
      next += n;
    };
    // Another tenant's write is waiting: the transaction finishes its records first, the loop runs after it.
    await heavy(1000, true);
    expect(order).toEqual(['1000 records written', 'event loop', 'b writes']);
    // Nobody waits for the writer: the loop (reads) runs between chunks of the records.
    await heavy(1000, false);
    expect(order).toEqual(['event loop', '1000 records written']);
    // More than a request's records (logging several reservations): the loop runs in between even with a writer
    // waiting.
    await heavy(2000, true);
    expect(order).toEqual(['event loop', '2000 records written', 'b writes']);
    expect((await store.listEvents('r_a', -1, 5000)).length).toBe(4000);
  });
});

describe('SqliteStore rows', () => {
  it('round-trips RDP vectors holding Infinity', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dpledger-store-'));
    store = openSqliteStore(join(dir, 'db.sqlite'));
    await store.write(async (tx) => tx.insertBudget({ ...budget('inf'), rdp: [0.5, Infinity] }));
    expect((await store.getBudget('t', 'inf'))?.rdp).toEqual([0.5, Infinity]);
  });
});

describe('SqliteStore schema', () => {
  it('migrates a version-1 database (runs without allow_large_delta) in place and keeps its rows', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dpledger-store-'));
    const file = join(dir, 'db.sqlite');
    const { default: Database } = await import('better-sqlite3');
    const v1 = new Database(file);
    v1.exec(SCHEMA_SQL);
    v1.pragma('user_version = 1');
    v1.prepare(
      `INSERT INTO budgets
      VALUES ('b1', 't', 'b1', NULL, 1, 1e-5, 'rdp', 'add_or_remove_one', 'x', 0, 0, x'', '[]', 1)`,
    ).run();
    v1.prepare(
      `INSERT INTO runs (id, tenant, budget_id, name, sampler, status, event_count, epsilon_spent, rdp, ledger,
      created_at)
      VALUES ('r1', 't', 'b1', 'old', '{"kind":"poisson","dataset_size":10,"expected_batch_size":1}', 'open', 0, 0,
      x'', '[]', 'x')`,
    ).run();
    v1.close();
    store = openSqliteStore(file);
    const old = await store.write((tx) => tx.getRun('t', 'r1'));
    expect(old).toMatchObject({ id: 'r1', name: 'old' });
    expect(old!.allow_large_delta).toBeUndefined();
    await store.write((tx) => tx.insertRun({ ...old!, id: 'r2', allow_large_delta: true }));
    expect((await store.write((tx) => tx.getRun('t', 'r2')))!.allow_large_delta).toBe(true);
  });
});
