/**
 * The Store contract, run against every backend (sqlite-store-contract.test.ts, pg-store.test.ts): what the
 * service above relies on, whichever database is underneath. `open` gives a fresh, empty store each call.
 */
import { eventRecordLeaf, merkleLeafHash, merkleRoot } from '@dpledger/audit';
import { describe, expect, it } from 'vitest';
import type { BudgetRow, EventRecord, ReservationRow, RunRow, Store } from '../store/store.js';

export const budgetRow = (id: string, tenant = 't'): BudgetRow => ({
  id,
  tenant,
  name: id,
  epsilon: 1,
  delta: 1e-5,
  accountant: 'rdp',
  neighboring_relation: 'add_or_remove_one',
  created_at: '2026-01-01T00:00:00.000Z',
  epsilon_spent: 0,
  epsilon_reserved: 0,
  rdp: [0, 0.5],
  ledger: [],
  run_count: 0,
  spent_accountant: 'rdp',
  reserved_accountant: 'rdp',
});

export const runRow = (id: string, budgetId: string, tenant = 't'): RunRow => ({
  id,
  tenant,
  budget_id: budgetId,
  name: id,
  sampler: { kind: 'poisson', dataset_size: 100, expected_batch_size: 10 },
  status: 'open',
  event_count: 0,
  epsilon_spent: 0,
  rdp: [0, 0],
  ledger: [],
  created_at: '2026-01-01T00:00:01.000Z',
});

const gaussian = { kind: 'gaussian', noise_multiplier: 1.1 } as const;

/**
 * Registers the contract's tests for one backend.
 * @example storeContract('sqlite', async () => ({ store: openSqliteStore(file), cleanup: async () => {} }))
 */
export function storeContract(name: string, open: () => Promise<Store>): void {
  const fresh = async (fn: (store: Store) => Promise<void>) => {
    const store = await open();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };

  describe(`Store contract (${name})`, () => {
    it('round-trips budgets and runs with every optional field, Infinity in RDP vectors, newest first', () =>
      fresh(async (store) => {
        const b1 = { ...budgetRow('b1'), description: 'first', rdp: [0.25, Infinity] };
        const b2 = { ...budgetRow('b2'), created_at: '2026-01-02T00:00:00.000Z' };
        const run: RunRow = {
          ...runRow('r1', 'b1'),
          noise_rng: 'seeded',
          metadata: { lr: 0.1, tags: ['a'] },
          allow_large_delta: true,
          model_digest: { sha256: 'ab'.repeat(32) },
        };
        await store.write(async (tx) => {
          await tx.insertBudget(b1);
          await tx.insertBudget(b2);
          await tx.insertRun(run);
          await tx.insertRun(runRow('r2', 'b2'));
        });
        expect(await store.getBudget('t', 'b1')).toEqual(b1);
        expect(await store.getBudget('other', 'b1')).toBeUndefined();
        expect((await store.listBudgets('t')).map((b) => b.id)).toEqual(['b2', 'b1']);
        expect(await store.getRun('t', 'r1')).toEqual(run);
        expect(await store.write((tx) => tx.getRun('t', 'r1'))).toEqual(run);
        expect((await store.listRuns('t', 'b2')).map((r) => r.id)).toEqual(['r2']);
        expect((await store.listRuns('other')).length).toBe(0);
        const closed: RunRow = {
          ...run,
          status: 'closed',
          closed_at: '2026-01-03T00:00:00.000Z',
          event_count: 3,
          epsilon_spent: 0.5,
          rdp: [1, 2],
        };
        await store.write((tx) => tx.updateRun(closed));
        expect(await store.getRun('t', 'r1')).toEqual(closed);
        const spent = {
          ...b1,
          epsilon_spent: 0.5,
          epsilon_reserved: 0.75,
          rdp: [1, 2],
          run_count: 1,
          ledger: [{ kind: 'self_composed', count: 2, event: gaussian }],
          spent_accountant: 'pld',
          reserved_accountant: 'pld',
        } as BudgetRow;
        await store.write((tx) => tx.updateBudget(spent));
        expect(await store.getBudget('t', 'b1')).toEqual(spent);
        expect(await store.write((tx) => tx.getBudget('t', 'b1'))).toEqual(spent);
        const pld = {
          ...budgetRow('b3'),
          accountant: 'pld',
          spent_accountant: 'pld',
          reserved_accountant: 'rdp',
        } as BudgetRow;
        await store.write((tx) => tx.insertBudget(pld));
        expect(await store.getBudget('t', 'b3')).toEqual(pld);
      }));

    it('pages budgets/runs newest first (created_at ties by insertion) per tenant and budget; counts per tenant', () =>
      fresh(async (store) => {
        // Seven budgets, several sharing a created_at; the full list is the order every page sequence must follow.
        const times = [
          '2026-01-01',
          '2026-01-02',
          '2026-01-02',
          '2026-01-02',
          '2026-01-03',
          '2026-01-01',
          '2026-01-03',
        ];
        await store.write(async (tx) => {
          for (const [i, day] of times.entries())
            await tx.insertBudget({ ...budgetRow(`b${i}`), created_at: `${day}T00:00:00.000Z` });
          await tx.insertBudget(budgetRow('other', 'u'));
          for (let i = 0; i < 5; i++)
            await tx.insertRun({
              ...runRow(`r${i}`, i % 2 ? 'b1' : 'b2'),
              created_at: `2026-01-0${1 + (i >> 1)}T00:00:00.000Z`,
            });
          await tx.insertRun(runRow('ru', 'other', 'u'));
        });
        const pages = async <T extends { id: string; created_at: string }>(
          list: (after?: { created_at: string; id: string }) => Promise<T[]>,
        ) => {
          const ids: string[] = [];
          let after: { created_at: string; id: string } | undefined;
          for (;;) {
            const page = await list(after);
            ids.push(...page.map((x) => x.id));
            if (page.length < 2) return ids;
            const last = page[page.length - 1]!;
            after = { created_at: last.created_at, id: last.id };
          }
        };
        const all = (await store.listBudgets('t')).map((b) => b.id);
        expect(all).toHaveLength(7);
        expect(all.slice(0, 2).sort()).toEqual(['b4', 'b6']);
        expect(await pages((after) => store.listBudgets('t', { limit: 2, ...(after ? { after } : {}) }))).toEqual(all);
        expect(await store.listBudgets('t', { limit: 1000 })).toEqual(await store.listBudgets('t'));
        const runs = (await store.listRuns('t')).map((r) => r.id);
        expect(
          await pages((after) => store.listRuns('t', undefined, { limit: 2, ...(after ? { after } : {}) })),
        ).toEqual(runs);
        const ofB2 = (await store.listRuns('t', 'b2')).map((r) => r.id);
        expect(ofB2.sort()).toEqual(['r0', 'r2', 'r4']);
        expect(await pages((after) => store.listRuns('t', 'b2', { limit: 2, ...(after ? { after } : {}) }))).toEqual(
          (await store.listRuns('t', 'b2')).map((r) => r.id),
        );
        expect((await store.listRuns('u', undefined, { limit: 10 })).map((r) => r.id)).toEqual(['ru']);
        expect(await store.write((tx) => tx.countBudgets('t'))).toBe(7);
        expect(await store.write((tx) => tx.countBudgets('u'))).toBe(1);
        expect(await store.write((tx) => tx.countRuns('t'))).toBe(5);
        expect(await store.write((tx) => tx.countRuns('nobody'))).toBe(0);
      }));

    it("dashboard sessions: open, read, touch, close; a tenant over the cap loses its oldest, not another's", () =>
      fresh(async (store) => {
        const s = (id: string, tenant: string, at: number) => ({ id_hash: id, tenant, created_at: at, last_seen: at });
        await store.openSession(s('u1', 'u', 1_700_000_000_000), 2);
        for (let i = 0; i < 4; i++) await store.openSession(s(`t${i}`, 't', 1_700_000_000_001 + i), 2);
        expect(await store.getSession('t0')).toBeUndefined();
        expect(await store.getSession('t1')).toBeUndefined();
        expect(await store.getSession('t3')).toEqual(s('t3', 't', 1_700_000_000_004));
        expect(await store.getSession('u1')).toEqual(s('u1', 'u', 1_700_000_000_000));
        await store.touchSession('t2', 1_800_000_000_000);
        expect(await store.getSession('t2')).toEqual({
          ...s('t2', 't', 1_700_000_000_003),
          last_seen: 1_800_000_000_000,
        });
        await store.closeSession('t3');
        expect(await store.getSession('t3')).toBeUndefined();
        // Idle since before 1.75e12: u1 goes; created before 1.7e12 + 3: none more.
        expect(
          (
            await store.purge({
              idempotencyBefore: '2000-01-01T00:00:00.000Z',
              sessionsIdleBefore: 1_750_000_000_000,
              sessionsCreatedBefore: 1_700_000_000_003,
            })
          ).sessions,
        ).toBe(1);
        expect(await store.getSession('u1')).toBeUndefined();
        expect(await store.getSession('t2')).toBeDefined();
        expect(
          (
            await store.purge({
              idempotencyBefore: '2000-01-01T00:00:00.000Z',
              sessionsIdleBefore: 0,
              sessionsCreatedBefore: 1_700_000_000_004,
            })
          ).sessions,
        ).toBe(1);
        expect(await store.getSession('t2')).toBeUndefined();
        await store.checkpoint();
      }));

    it('purge deletes idempotency records older than the cutoff and leaves a tombstone per tenant and key', () =>
      fresh(async (store) => {
        const row = (tenant: string, key: string, created_at: string) => ({
          tenant,
          key,
          request_hash: 'h',
          status: 201,
          body: { key },
          created_at,
        });
        await store.write(async (tx) => {
          for (let i = 0; i < 3; i++) await tx.putIdempotency(row('t', `old${i}`, '2026-01-01T00:00:00.000Z'));
          await tx.putIdempotency(row('u', 'old0', '2026-01-01T00:00:00.000Z'));
          await tx.putIdempotency(row('t', 'new', '2026-01-09T00:00:00.000Z'));
        });
        const noSessions = { sessionsIdleBefore: 0, sessionsCreatedBefore: 0 };
        expect(await store.purge({ idempotencyBefore: '2026-01-08T00:00:00.000Z', ...noSessions })).toEqual({
          idempotency: 4,
          sessions: 0,
        });
        expect(await store.write((tx) => tx.getIdempotency('t', 'old1'))).toBeUndefined();
        expect(await store.write((tx) => tx.idempotencyExpired('t', 'old1'))).toBe(true);
        expect(await store.write((tx) => tx.idempotencyExpired('u', 'old0'))).toBe(true);
        expect(await store.write((tx) => tx.idempotencyExpired('u', 'old1'))).toBe(false);
        expect(await store.write((tx) => tx.idempotencyExpired('t', 'new'))).toBe(false);
        expect((await store.write((tx) => tx.getIdempotency('t', 'new')))?.body).toEqual({ key: 'new' });
        // A second purge finds nothing more; a key stored again after its purge is purged again without error.
        expect((await store.purge({ idempotencyBefore: '2026-01-08T00:00:00.000Z', ...noSessions })).idempotency).toBe(
          0,
        );
        await store.write((tx) => tx.putIdempotency(row('t', 'old1', '2026-01-01T00:00:00.000Z')));
        expect((await store.purge({ idempotencyBefore: '2026-01-08T00:00:00.000Z', ...noSessions })).idempotency).toBe(
          1,
        );
      }));

    it("keeps each run's RFC 9162 tree as records are inserted: stored nodes equal the hashes of the records", () =>
      fresh(async (store) => {
        const rec = (run: string, i: number): EventRecord => ({
          run_id: run,
          sequence: i,
          event: { kind: 'gaussian', noise_multiplier: 1 + i / 8 },
          recorded_at: `2026-01-01T00:00:0${i % 10}.000Z`,
        });
        const r1 = Array.from({ length: 11 }, (_, i) => rec('r1', i));
        const r2 = Array.from({ length: 3 }, (_, i) => rec('r2', i));
        await store.write(async (tx) => {
          await tx.insertBudget(budgetRow('b1'));
          await tx.insertRun(runRow('r1', 'b1'));
          await tx.insertRun(runRow('r2', 'b1'));
          await tx.insertEvents(r1.slice(0, 5));
        });
        // Later appends start from the stored frontier; one call may carry records of two runs.
        await store.write((tx) => tx.insertEvents([...r1.slice(5, 6), ...r2]));
        await store.write((tx) => tx.insertEvents(r1.slice(6)));
        const root = (xs: EventRecord[]) => merkleRoot(xs.map(eventRecordLeaf));
        expect(await store.merkleNode('r1', 0, 7)).toEqual(merkleLeafHash(eventRecordLeaf(r1[7]!)));
        expect(await store.merkleNode('r1', 3, 0)).toEqual(root(r1.slice(0, 8)));
        expect(await store.merkleNode('r1', 1, 4)).toEqual(root(r1.slice(8, 10)));
        expect(await store.merkleNode('r1', 2, 1)).toEqual(root(r1.slice(4, 8)));
        expect(await store.merkleNode('r2', 1, 0)).toEqual(root(r2.slice(0, 2)));
        expect(await store.merkleNode('r1', 2, 2)).toBeUndefined();
        expect(await store.merkleNode('r1', 0, 11)).toBeUndefined();
        expect(await store.merkleNode('r2', 2, 0)).toBeUndefined();
        expect(await store.merkleNode('nope', 0, 0)).toBeUndefined();
      }));

    it('a throwing write rolls back everything it wrote and rejects; concurrent ones are independent', () =>
      fresh(async (store) => {
        const results = await Promise.allSettled(
          Array.from({ length: 30 }, (_, i) =>
            store.write(async (tx) => {
              await tx.insertBudget(budgetRow(`b${i}`));
              if (i % 3 === 0) throw new Error(`refuse ${i}`);
              return i;
            }),
          ),
        );
        results.forEach((r, i) => expect(r.status).toBe(i % 3 === 0 ? 'rejected' : 'fulfilled'));
        const ids = (await store.listBudgets('t')).map((b) => b.id).sort();
        expect(ids).toEqual(
          Array.from({ length: 30 }, (_, i) => i)
            .filter((i) => i % 3 !== 0)
            .map((i) => `b${i}`)
            .sort(),
        );
        await expect(store.write((tx) => tx.insertBudget({ ...budgetRow('b1'), name: 'dup' }))).rejects.toThrow();
        expect((await store.getBudget('t', 'b1'))?.name).toBe('b1');
      }));

    it('stores events by sequence and pages them; reservations by status; due budgets', () =>
      fresh(async (store) => {
        const records: EventRecord[] = Array.from({ length: 5 }, (_, i) => ({
          run_id: 'r1',
          sequence: i,
          event: gaussian,
          recorded_at: '2026-01-01T00:00:02.000Z',
        }));
        const res = (id: string, expires: string): ReservationRow => ({
          id,
          tenant: 't',
          run_id: 'r1',
          budget_id: 'b1',
          steps: 4,
          event: gaussian,
          status: 'open',
          created_at: `2026-01-01T00:00:0${id.length}.000Z`,
          expires_at: expires,
        });
        await store.write(async (tx) => {
          await tx.insertBudget(budgetRow('b1'));
          await tx.insertRun(runRow('r1', 'b1'));
          await tx.insertEvents(records);
          await tx.insertReservation(res('x', '2026-01-01T00:01:00.000Z'));
          await tx.insertReservation(res('yy', '2026-01-01T00:09:00.000Z'));
        });
        expect(await store.listEvents('r1', -1, 100)).toEqual(records);
        expect((await store.listEvents('r1', 1, 2)).map((e) => e.sequence)).toEqual([2, 3]);
        expect(await store.write((tx) => tx.getReservation('t', 'x'))).toEqual(res('x', '2026-01-01T00:01:00.000Z'));
        expect(await store.write((tx) => tx.getReservation('u', 'x'))).toBeUndefined();
        expect(await store.dueBudgets('t', '2026-01-01T00:02:00.000Z')).toEqual(['b1']);
        expect(await store.dueBudgets('t', '2026-01-01T00:00:30.000Z')).toEqual([]);
        await store.write((tx) => tx.setReservationStatus('x', 'committed'));
        expect((await store.write((tx) => tx.openReservations('b1'))).map((r) => r.id)).toEqual(['yy']);
        expect(await store.openReservations('b1')).toEqual([res('yy', '2026-01-01T00:09:00.000Z')]);
        expect(await store.openReservations('nope')).toEqual([]);
        expect(await store.dueBudgets('t', '2026-01-01T00:02:00.000Z')).toEqual([]);
        // A sequence is stored once: a second record with the same (run, sequence) fails the write.
        await expect(store.write((tx) => tx.insertEvents([records[0]!]))).rejects.toThrow();
        await store.write((tx) =>
          tx.insertAuditInput({ run_id: 'r1', tenant: 't', scores: [0.5], included: [true], created_at: 'x' }),
        );
      }));

    it('idempotency records are per tenant and replay their body', () =>
      fresh(async (store) => {
        const row = {
          tenant: 't',
          key: 'k1',
          request_hash: 'h',
          status: 201,
          body: { id: 'x', n: [1, 2] },
          created_at: 'now',
        };
        await store.write((tx) => tx.putIdempotency(row));
        expect(await store.write((tx) => tx.getIdempotency('t', 'k1'))).toEqual(row);
        expect(await store.write((tx) => tx.getIdempotency('u', 'k1'))).toBeUndefined();
        await store.write((tx) => tx.putIdempotency({ ...row, tenant: 'u' }));
        await expect(store.write((tx) => tx.putIdempotency({ ...row, body: 'other' }))).rejects.toThrow();
        expect((await store.write((tx) => tx.getIdempotency('t', 'k1')))?.body).toEqual(row.body);
      }));

    it('API keys: lookup by hash, listing oldest first, revocation keeps the first time', () =>
      fresh(async (store) => {
        await store.insertApiKey({ key_id: 'k1', tenant: 't', hash: 'h1', created_at: '2026-01-01T00:00:00.000Z' });
        await store.insertApiKey({ key_id: 'k2', tenant: 'u', hash: 'h2', created_at: '2026-01-02T00:00:00.000Z' });
        expect(await store.tenantForKeyHash('h1')).toBe('t');
        expect(await store.tenantForKeyHash('nope')).toBeUndefined();
        expect((await store.listApiKeys()).map((k) => k.key_id)).toEqual(['k1', 'k2']);
        expect(await store.revokeApiKey('k1', 'T1')).toEqual({
          key_id: 'k1',
          tenant: 't',
          created_at: '2026-01-01T00:00:00.000Z',
          revoked_at: 'T1',
        });
        expect((await store.revokeApiKey('k1', 'T2'))?.revoked_at).toBe('T1');
        expect(await store.revokeApiKey('nope', 'T1')).toBeUndefined();
        expect(await store.tenantForKeyHash('h1')).toBeUndefined();
        expect(await store.tenantForKeyHash('h2')).toBe('u');
        await expect(store.insertApiKey({ key_id: 'k3', tenant: 't', hash: 'h2', created_at: 'x' })).rejects.toThrow();
      }));

    it('run tokens: stored by hash, read back whole; an unknown hash and a duplicate hash are refused', () =>
      fresh(async (store) => {
        await store.write(async (tx) => {
          await tx.insertBudget(budgetRow('b1'));
          await tx.insertRun(runRow('r1', 'b1'));
        });
        const row = {
          hash: 'h'.repeat(64),
          token_id: 'rt_1',
          tenant: 't',
          run_id: 'r1',
          created_at: '2026-01-01T00:00:00.000Z',
          expires_at: '2026-01-01T01:00:00.000Z',
        };
        await store.insertRunToken(row);
        expect(await store.runTokenForHash(row.hash)).toEqual(row);
        expect(await store.runTokenForHash('x'.repeat(64))).toBeUndefined();
        await expect(store.insertRunToken({ ...row, token_id: 'rt_2' })).rejects.toThrow();
      }));

    it('sessions and run tokens die with the API key that made them; rows without a key_id live on', () =>
      fresh(async (store) => {
        await store.insertApiKey({ key_id: 'k1', tenant: 't', hash: 'h1', created_at: '2026-01-01T00:00:00.000Z' });
        await store.insertApiKey({ key_id: 'k2', tenant: 't', hash: 'h2', created_at: '2026-01-01T00:00:00.000Z' });
        expect(await store.apiKeyForHash('h1')).toEqual({ key_id: 'k1', tenant: 't' });
        expect(await store.apiKeyForHash('nope')).toBeUndefined();
        await store.write(async (tx) => {
          await tx.insertBudget(budgetRow('b1'));
          await tx.insertRun(runRow('r1', 'b1'));
        });
        const session = (id: string, key_id?: string) => ({
          id_hash: id,
          tenant: 't',
          created_at: 1_700_000_000_000,
          last_seen: 1_700_000_000_000,
          ...(key_id === undefined ? {} : { key_id }),
        });
        const token = (hash: string, key_id?: string) => ({
          hash,
          token_id: `rt_${hash}`,
          tenant: 't',
          run_id: 'r1',
          created_at: '2026-01-01T00:00:00.000Z',
          expires_at: '2026-01-01T01:00:00.000Z',
          ...(key_id === undefined ? {} : { key_id }),
        });
        for (const [id, key] of [
          ['s1', 'k1'],
          ['s2', 'k2'],
          ['s0', undefined],
        ] as const) {
          await store.openSession(session(id, key), 10);
          await store.insertRunToken(token(`t${id}`, key));
        }
        expect(await store.getSession('s1')).toEqual(session('s1', 'k1'));
        expect(await store.getSession('s0')).toEqual(session('s0'));
        expect(await store.runTokenForHash('ts1')).toEqual(token('ts1', 'k1'));
        expect(await store.runTokenForHash('ts0')).toEqual(token('ts0'));
        await store.revokeApiKey('k1', '2026-01-01T00:30:00.000Z');
        expect(await store.apiKeyForHash('h1')).toBeUndefined();
        expect(await store.getSession('s1')).toBeUndefined();
        expect(await store.runTokenForHash('ts1')).toBeUndefined();
        // The tenant's other key, and rows from before schema version 8 (no key_id), are untouched.
        expect(await store.getSession('s2')).toEqual(session('s2', 'k2'));
        expect(await store.runTokenForHash('ts2')).toEqual(token('ts2', 'k2'));
        expect(await store.getSession('s0')).toEqual(session('s0'));
        expect(await store.runTokenForHash('ts0')).toEqual(token('ts0'));
      }));

    it('signing keys newest first; reports are immutable (first stored wins)', () =>
      fresh(async (store) => {
        await store.insertSigningKey({ kid: 'a', private_pem: 'PEM-A', created_at: '2026-01-01T00:00:00.000Z' });
        await store.insertSigningKey({ kid: 'b', private_pem: 'PEM-B', created_at: '2026-01-02T00:00:00.000Z' });
        expect((await store.listSigningKeys()).map((k) => k.kid)).toEqual(['b', 'a']);
        await store.write(async (tx) => {
          await tx.insertBudget(budgetRow('b1'));
          await tx.insertRun(runRow('r1', 'b1'));
        });
        const first = { run_id: 'r1', tenant: 't', kid: 'b', envelope: { payload: 'one' }, created_at: 'T1' };
        expect(await store.putReport(first)).toEqual(first);
        expect(await store.putReport({ ...first, envelope: { payload: 'two' } })).toEqual(first);
        expect(await store.getReport('u', 'r1')).toBeUndefined();
        await store.ping();
      }));
  });
}
