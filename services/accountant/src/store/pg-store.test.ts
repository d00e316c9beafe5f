import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgCluster, type PgCluster } from '../testing/pg-cluster.js';
import { budgetRow, runRow, storeContract } from '../testing/store-contract.js';
import { PG_MIGRATIONS, PG_SCHEMA_SQL, migratePg } from './pg-schema.js';
import { PgStore, openPgStore } from './pg-store.js';
import { budgetToRow } from './sqlite-rows.js';
import { SCHEMA_VERSION } from './sqlite-schema.js';
import { StoreUnavailableError } from './store-unavailable.js';

let cluster: PgCluster;
let admin: pg.Pool;
let n = 0;
beforeAll(async () => {
  cluster = await startPgCluster();
  admin = new pg.Pool({ connectionString: cluster.url, max: 2 });
  admin.on('error', () => undefined);
}, 60_000);
afterAll(async () => {
  await admin?.end();
  cluster?.stop();
});

/** A new empty database on the cluster. */
async function freshDb(): Promise<string> {
  const name = `db_${++n}`;
  await admin.query(`CREATE DATABASE ${name}`);
  return cluster.url.replace(/\/postgres$/, `/${name}`);
}

storeContract('postgres', async () => openPgStore({ url: await freshDb(), poolSize: 4 }));

describe('PgStore across connections (what several replicas see)', () => {
  it('concurrent read-modify-write transactions on one budget row lose no update (FOR UPDATE)', async () => {
    const url = await freshDb();
    const a = await openPgStore({ url, poolSize: 8 });
    const b = await openPgStore({ url, poolSize: 8 });
    try {
      await a.write((tx) => tx.insertBudget(budgetRow('b1')));
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 ? a : b).write(async (tx) => {
            const budget = (await tx.getBudget('t', 'b1'))!;
            await new Promise((ok) => setTimeout(ok, 1));
            await tx.updateBudget({ ...budget, run_count: budget.run_count + 1 });
          }),
        ),
      );
      expect((await a.getBudget('t', 'b1'))!.run_count).toBe(40);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('two stores racing one idempotency key: the loser runs again and sees the stored answer', async () => {
    const url = await freshDb();
    const stores = await Promise.all([0, 1, 2].map(() => openPgStore({ url, poolSize: 4 })));
    try {
      await stores[0]!.write(async (tx) => {
        await tx.insertBudget(budgetRow('b1'));
        await tx.insertRun(runRow('r1', 'b1'));
      });
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          stores[i % 3]!.write(async (tx) => {
            const prior = await tx.getIdempotency('t', 'same-key');
            if (prior !== undefined) return { replayed: true, body: prior.body };
            const run = (await tx.getRun('t', 'r1'))!;
            await tx.insertEvents([
              {
                run_id: 'r1',
                sequence: run.event_count,
                event: { kind: 'gaussian', noise_multiplier: 1 },
                recorded_at: 'x',
              },
            ]);
            await tx.updateRun({ ...run, event_count: run.event_count + 1 });
            await tx.putIdempotency({
              tenant: 't',
              key: 'same-key',
              request_hash: 'h',
              status: 200,
              body: { seq: run.event_count },
              created_at: 'x',
            });
            return { replayed: false, body: { seq: run.event_count } };
          }),
        ),
      );
      expect(answers.filter((x) => !x.replayed)).toHaveLength(1);
      for (const x of answers) expect(x.body).toEqual({ seq: 0 });
      expect(await stores[0]!.listEvents('r1', -1, 100)).toHaveLength(1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

describe('PgStore migrations', () => {
  it('replicas opening one empty database together apply each version exactly once (advisory lock)', async () => {
    const url = await freshDb();
    const stores = await Promise.all([0, 1, 2, 3].map(() => openPgStore({ url, poolSize: 2 })));
    await Promise.all(stores.map((s) => s.close()));
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const versions = (
        await c.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
      ).rows.map((r) => r.version);
      expect(versions).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    } finally {
      await c.end();
    }
  });

  it('migrates a v1 database in place keeping rows; check-only applies nothing; refuses a newer one', async () => {
    const url = await freshDb();
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      await pool.query(PG_SCHEMA_SQL);
      await pool.query(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL); ' +
          'INSERT INTO schema_migrations VALUES (1, $$x$$)',
      );
      await pool.query(`INSERT INTO budgets (id, tenant, name, epsilon, delta, accountant, neighboring_relation,
        created_at, epsilon_spent, epsilon_reserved, rdp, ledger, run_count)
        VALUES ('b1', 't', 'b1', 1, 1e-5, 'rdp', 'add_or_remove_one', 'x', 0, 0, '\\x', '[]', 1)`);
      expect(await migratePg(pool, { apply: false })).toEqual({ from: 1, to: 1, applied: [] });
      await expect(openPgStore({ url, migrate: false })).rejects.toThrow(/dpledger migrate/);
      expect(await migratePg(pool, { apply: true })).toEqual({
        from: 1,
        to: SCHEMA_VERSION,
        applied: Array.from({ length: SCHEMA_VERSION - 1 }, (_, i) => i + 2),
      });
      const store = await openPgStore({ url, migrate: false });
      expect((await store.getBudget('t', 'b1'))?.run_count).toBe(1);
      await store.write((tx) => tx.insertRun({ ...runRow('r2', 'b1'), allow_large_delta: true }));
      expect((await store.getRun('t', 'r2'))?.allow_large_delta).toBe(true);
      await store.close();
      await pool.query('INSERT INTO schema_migrations VALUES ($1, $$x$$)', [SCHEMA_VERSION + 1]);
      await expect(openPgStore({ url })).rejects.toThrow(/newer than this service/);
    } finally {
      await pool.end();
    }
  });
});

describe('PgStore migration 6 (Merkle nodes)', () => {
  it('a v5 database with records gets the same tree nodes as a store that kept them from the start', async () => {
    const records = Array.from({ length: 7 }, (_, i) => ({
      run_id: 'r1',
      sequence: i,
      event: { kind: 'gaussian' as const, noise_multiplier: 1 + i },
      recorded_at: '2026-01-01T00:00:02.000Z',
    }));
    const fill = (store: PgStore) =>
      store.write(async (tx) => {
        await tx.insertBudget(budgetRow('b1'));
        await tx.insertRun(runRow('r1', 'b1'));
        await tx.insertEvents(records);
      });
    // The reference: a store at the current version, which extends the tree on every insert.
    const fresh = await openPgStore({ url: await freshDb() });
    const old = await freshDb();
    const pool = new pg.Pool({ connectionString: old, max: 1 });
    try {
      await fill(fresh);
      // A version-5 database: rows written as the version-5 store did (no merkle_nodes table at all).
      await pool.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
      await pool.query(PG_SCHEMA_SQL);
      await pool.query("INSERT INTO schema_migrations VALUES (1, 'x')");
      for (const m of PG_MIGRATIONS.filter((x) => x.version <= 5)) {
        await pool.query(m.sql);
        await pool.query("INSERT INTO schema_migrations VALUES ($1, 'x')", [m.version]);
      }
      const b = budgetToRow(budgetRow('b1'));
      await pool.query(
        'INSERT INTO budgets (id, tenant, name, epsilon, delta, accountant, neighboring_relation, created_at, ' +
          'epsilon_spent, epsilon_reserved, rdp, ledger, run_count) ' +
          "VALUES ('b1', 't', 'b1', 1, 1e-5, 'rdp', 'add_or_remove_one', 'x', 0, 0, $1, '[]', 1)",
        [b['rdp']],
      );
      await pool.query(
        'INSERT INTO runs (id, tenant, budget_id, name, sampler, status, event_count, epsilon_spent, rdp, ledger, ' +
          "created_at) VALUES ('r1', 't', 'b1', 'r1', '{}', 'open', 7, 0, $1, '[]', 'x')",
        [b['rdp']],
      );
      for (const r of records)
        await pool.query('INSERT INTO events (run_id, sequence, event, recorded_at) VALUES ($1, $2, $3, $4)', [
          r.run_id,
          r.sequence,
          JSON.stringify(r.event),
          r.recorded_at,
        ]);
      expect(await migratePg(pool, { apply: true })).toEqual({
        from: 5,
        to: SCHEMA_VERSION,
        applied: PG_MIGRATIONS.filter((m) => m.version > 5).map((m) => m.version),
      });
      const migrated = await openPgStore({ url: old, migrate: false });
      try {
        const nodes = [
          [1, 0],
          [1, 1],
          [1, 2],
          [2, 0],
          [0, 6],
        ] as const;
        for (const [level, index] of nodes) {
          const want = await fresh.merkleNode('r1', level, index);
          expect(want).toBeDefined();
          expect(await migrated.merkleNode('r1', level, index)).toEqual(want);
        }
        expect(await migrated.merkleNode('r1', 2, 1)).toBeUndefined();
        // The migrated tree keeps growing from the backfilled frontier.
        const next = { ...records[0]!, sequence: 7 };
        await migrated.write((tx) => tx.insertEvents([next]));
        await fresh.write((tx) => tx.insertEvents([next]));
        expect(await migrated.merkleNode('r1', 3, 0)).toEqual(await fresh.merkleNode('r1', 3, 0));
      } finally {
        await migrated.close();
      }
    } finally {
      await pool.end();
      await fresh.close();
    }
  });
});

describe('PgStore per-tenant limits across replicas', () => {
  it('budgets created at once on three stores never pass the cap: the count is read under a tenant lock', async () => {
    const url = await freshDb();
    const stores = await Promise.all([0, 1, 2].map(() => openPgStore({ url, poolSize: 4 })));
    try {
      const cap = 5;
      const results = await Promise.allSettled(
        Array.from({ length: 15 }, (_, i) =>
          stores[i % 3]!.write(async (tx) => {
            const n = await tx.countBudgets('t');
            await new Promise((ok) => setTimeout(ok, 20));
            if (n >= cap) throw new Error('limit');
            await tx.insertBudget(budgetRow(`b${i}`));
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(cap);
      expect(await stores[0]!.listBudgets('t')).toHaveLength(cap);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it("a login while another replica's login of the same tenant is uncommitted still keeps the cap", async () => {
    const url = await freshDb();
    const store = await openPgStore({ url, poolSize: 2 });
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      // Another replica's openSession, caught between its insert and its commit (it holds the tenant's session lock).
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', ['dpledger:sessions:t']);
      await other.query("INSERT INTO sessions (id_hash, tenant, created_at, last_seen) VALUES ('a', 't', 1000, 1000)");
      const login = store.openSession({ id_hash: 'b', tenant: 't', created_at: 2000, last_seen: 2000 }, 1);
      await new Promise((ok) => setTimeout(ok, 300));
      await other.query('COMMIT');
      await login;
      // Without the lock, 'b' would have counted only itself and both sessions would stay.
      expect((await other.query("SELECT id_hash FROM sessions WHERE tenant = 't'")).rows).toEqual([{ id_hash: 'b' }]);
    } finally {
      await other.end();
      await store.close();
    }
  });
});

describe('PgStore when the database is gone', () => {
  it('answers StoreUnavailableError quickly (never hangs), then works again by itself when it returns', async () => {
    const url = await freshDb();
    const store = await openPgStore({ url, poolSize: 2, statementTimeoutMs: 1000 });
    try {
      await store.write((tx) => tx.insertBudget(budgetRow('b1')));
      cluster.halt();
      const started = Date.now();
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.write((tx) => tx.getBudget('t', 'b1'))).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.getBudget('t', 'b1')).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(5000);
      cluster.resume();
      await store.ping();
      expect((await store.write((tx) => tx.getBudget('t', 'b1')))?.id).toBe('b1');
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('PgStore lock order (budget row first)', () => {
  it('two replicas log the same expired reservation once: open holds are read under the budget lock', async () => {
    const url = await freshDb();
    const a = await openPgStore({ url, poolSize: 4 });
    const b = await openPgStore({ url, poolSize: 4 });
    try {
      await a.write(async (tx) => {
        await tx.insertBudget(budgetRow('b1'));
        await tx.insertRun(runRow('r1', 'b1'));
        await tx.insertReservation({
          id: 'res1',
          tenant: 't',
          run_id: 'r1',
          budget_id: 'b1',
          steps: 5,
          event: { kind: 'gaussian', noise_multiplier: 1 },
          status: 'open',
          created_at: 'x',
          expires_at: 'x',
        });
      });
      // What logExpired does: read the open holds, then record each against its run and budget.
      const logExpired = (store: typeof a) =>
        store.write(async (tx) => {
          const due = await tx.openReservations('b1');
          await new Promise((ok) => setTimeout(ok, 100));
          for (const r of due) {
            const run = (await tx.getRun('t', r.run_id))!;
            await tx.getBudget('t', r.budget_id);
            await tx.setReservationStatus(r.id, 'expired');
            await tx.updateRun({ ...run, event_count: run.event_count + r.steps });
          }
        });
      await Promise.all([logExpired(a), logExpired(b)]);
      expect((await a.getRun('t', 'r1'))!.event_count).toBe(5);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
