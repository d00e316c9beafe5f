import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from './sqlite-schema.js';
import { openSqliteStore } from './sqlite-store.js';
import type { BudgetRow } from './store.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const budget: BudgetRow = {
  id: 'b1', tenant: 't', name: 'b1', epsilon: 1, delta: 1e-5, accountant: 'pld', neighboring_relation: 'add_or_remove_one',
  created_at: '2026-01-01T00:00:00.000Z', epsilon_spent: 0.4, epsilon_reserved: 0.5, rdp: [0], ledger: [], run_count: 0,
};

describe('SQLite schema migration', () => {
  it('upgrades a version-1 database in place: budgets keep their figures (labelled rdp), sessions and tombstones work', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dpledger-migrate-'));
    const file = join(dir, 'db.sqlite');
    const fresh = openSqliteStore(file);
    await fresh.write(async (tx) => tx.insertBudget(budget));
    await fresh.close();
    // Turn it back into what version 1 wrote.
    const db = new Database(file);
    db.exec(`ALTER TABLE budgets DROP COLUMN spent_accountant; ALTER TABLE budgets DROP COLUMN reserved_accountant;
      DROP TABLE sessions; DROP TABLE idempotency_expired; DROP INDEX idempotency_created; PRAGMA user_version = 1;`);
    db.close();

    const store = openSqliteStore(file);
    try {
      expect(await store.getBudget('t', 'b1')).toMatchObject({ epsilon_spent: 0.4, spent_accountant: 'rdp', reserved_accountant: 'rdp' });
      await store.openSession({ id_hash: 'h', tenant: 't', created_at: 1, last_seen: 1 }, 5);
      expect((await store.getSession('h'))?.tenant).toBe('t');
      expect(await store.purge({ idempotencyBefore: '2100-01-01', sessionsIdleBefore: 0, sessionsCreatedBefore: 0 })).toEqual({ idempotency: 0, sessions: 0 });
    } finally {
      await store.close();
    }
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    check.close();
  });
});
