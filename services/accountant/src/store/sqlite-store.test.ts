import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_SQL } from './sqlite-schema.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';
import type { BudgetRow } from './store.js';

let dir: string;
let store: SqliteStore;
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const budget = (id: string): BudgetRow => ({
  id, tenant: 't', name: id, epsilon: 1, delta: 1e-5, accountant: 'rdp', neighboring_relation: 'add_or_remove_one',
  created_at: '2026-01-01T00:00:00.000Z', epsilon_spent: 0, epsilon_reserved: 0, rdp: [0], ledger: [], run_count: 0,
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
    expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => `b${i}`).sort());
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
    v1.prepare(`INSERT INTO budgets VALUES ('b1', 't', 'b1', NULL, 1, 1e-5, 'rdp', 'add_or_remove_one', 'x', 0, 0, x'', '[]', 1)`).run();
    v1.prepare(`INSERT INTO runs (id, tenant, budget_id, name, sampler, status, event_count, epsilon_spent, rdp, ledger, created_at)
      VALUES ('r1', 't', 'b1', 'old', '{"kind":"poisson","dataset_size":10,"expected_batch_size":1}', 'open', 0, 0, x'', '[]', 'x')`).run();
    v1.close();
    store = openSqliteStore(file);
    const old = await store.write((tx) => tx.getRun('t', 'r1'));
    expect(old).toMatchObject({ id: 'r1', name: 'old' });
    expect(old!.allow_large_delta).toBeUndefined();
    await store.write((tx) => tx.insertRun({ ...old!, id: 'r2', allow_large_delta: true }));
    expect((await store.write((tx) => tx.getRun('t', 'r2')))!.allow_large_delta).toBe(true);
  });
});
