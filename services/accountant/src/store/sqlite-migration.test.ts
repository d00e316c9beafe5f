import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_SQL, SCHEMA_VERSION } from './sqlite-schema.js';
import { openSqliteStore } from './sqlite-store.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));


describe('SQLite schema migration', () => {
  it('upgrades a version-1 database in place: budgets keep their figures (labelled rdp), sessions and tombstones work', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dpledger-migrate-'));
    const file = join(dir, 'db.sqlite');
    // What version 1 wrote: its schema and a budget row without the later columns.
    const db = new Database(file);
    db.exec(SCHEMA_SQL);
    db.prepare(`INSERT INTO budgets (id, tenant, name, epsilon, delta, accountant, neighboring_relation, created_at, epsilon_spent,
      epsilon_reserved, rdp, ledger, run_count) VALUES ('b1', 't', 'b1', 1, 1e-5, 'pld', 'add_or_remove_one', '2026-01-01T00:00:00.000Z',
      0.4, 0.5, ?, '[]', 0)`).run(Buffer.alloc(8));
    db.pragma('user_version = 1');
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
