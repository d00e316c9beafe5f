import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_SQL, SCHEMA_VERSION } from './sqlite-schema.js';
import { openSqliteStore } from './sqlite-store.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite schema migration', () => {
  it('upgrades a v1 database in place: budgets keep figures (labelled rdp); sessions and tombstones work', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dpledger-migrate-'));
    const file = join(dir, 'db.sqlite');
    // What version 1 wrote: its schema and a budget row without the later columns.
    const db = new Database(file);
    db.exec(SCHEMA_SQL);
    db.prepare(
      `INSERT INTO budgets (id, tenant, name, epsilon, delta, accountant, neighboring_relation, created_at,
      epsilon_spent, epsilon_reserved, rdp, ledger, run_count)
      VALUES ('b1', 't', 'b1', 1, 1e-5, 'pld', 'add_or_remove_one', '2026-01-01T00:00:00.000Z', 0.4, 0.5, ?, '[]', 0)`,
    ).run(Buffer.alloc(8));
    db.pragma('user_version = 1');
    db.close();

    const store = openSqliteStore(file);
    try {
      expect(await store.getBudget('t', 'b1')).toMatchObject({
        epsilon_spent: 0.4,
        spent_accountant: 'rdp',
        reserved_accountant: 'rdp',
      });
      await store.openSession({ id_hash: 'h', tenant: 't', created_at: 1, last_seen: 1 }, 5);
      expect((await store.getSession('h'))?.tenant).toBe('t');
      expect(
        await store.purge({ idempotencyBefore: '2100-01-01', sessionsIdleBefore: 0, sessionsCreatedBefore: 0 }),
      ).toEqual({ idempotency: 0, sessions: 0 });
    } finally {
      await store.close();
    }
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    check.close();
  });

  it('upgrades a v7 database: older sessions and run tokens (no key_id) live on, even past a revocation', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dpledger-migrate-'));
    const file = join(dir, 'db.sqlite');
    const db = new Database(file);
    db.exec(SCHEMA_SQL);
    for (const m of MIGRATIONS) if (m.version <= 7) db.exec(m.sql);
    db.pragma('user_version = 7');
    db.exec(`INSERT INTO api_keys (key_id, tenant, hash, created_at, revoked_at)
        VALUES ('k1', 't', 'h1', '2026-01-01T00:00:00.000Z', NULL);
      INSERT INTO sessions (id_hash, tenant, created_at, last_seen) VALUES ('s', 't', 1, 1);
      INSERT INTO budgets (id, tenant, name, epsilon, delta, accountant, neighboring_relation, created_at,
        epsilon_spent, epsilon_reserved, rdp, ledger, run_count)
        VALUES ('b1', 't', 'b1', 1, 1e-5, 'rdp', 'add_or_remove_one', '2026-01-01T00:00:00.000Z', 0, 0, x'', '[]', 1);
      INSERT INTO runs (id, tenant, budget_id, name, sampler, status, event_count, epsilon_spent, rdp, ledger,
        created_at)
        VALUES ('r1', 't', 'b1', 'r1', '{"kind":"poisson","dataset_size":10,"expected_batch_size":1}', 'open', 0, 0,
        x'', '[]', '2026-01-01T00:00:00.000Z');
      INSERT INTO run_tokens (hash, token_id, tenant, run_id, created_at, expires_at)
        VALUES ('t', 'rtk_1', 't', 'r1', 'c', 'e');`);
    db.close();

    const store = openSqliteStore(file);
    try {
      await store.revokeApiKey('k1', '2026-01-02T00:00:00.000Z');
      // Which key made them is unknown, so they live until they expire (the caller's check).
      expect(await store.getSession('s')).toEqual({ id_hash: 's', tenant: 't', created_at: 1, last_seen: 1 });
      expect(await store.runTokenForHash('t')).toEqual({
        hash: 't',
        token_id: 'rtk_1',
        tenant: 't',
        run_id: 'r1',
        created_at: 'c',
        expires_at: 'e',
      });
    } finally {
      await store.close();
    }
  });
});
