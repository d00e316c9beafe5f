/**
 * The Store contract, run against every backend (sqlite-store-contract.test.ts, pg-store.test.ts): what the
 * service above relies on, whichever database is underneath. `open` gives a fresh, empty store each call.
 */
import { describe, expect, it } from 'vitest';
import type { BudgetRow, EventRecord, ReservationRow, RunRow, Store } from '../store/store.js';

export const budgetRow = (id: string, tenant = 't'): BudgetRow => ({
  id, tenant, name: id, epsilon: 1, delta: 1e-5, accountant: 'rdp', neighboring_relation: 'add_or_remove_one',
  created_at: '2026-01-01T00:00:00.000Z', epsilon_spent: 0, epsilon_reserved: 0, rdp: [0, 0.5], ledger: [], run_count: 0,
});

export const runRow = (id: string, budgetId: string, tenant = 't'): RunRow => ({
  id, tenant, budget_id: budgetId, name: id, sampler: { kind: 'poisson', dataset_size: 100, expected_batch_size: 10 },
  status: 'open', event_count: 0, epsilon_spent: 0, rdp: [0, 0], ledger: [], created_at: '2026-01-01T00:00:01.000Z',
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
          ...runRow('r1', 'b1'), noise_rng: 'seeded', metadata: { lr: 0.1, tags: ['a'] }, allow_large_delta: true,
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
        const closed: RunRow = { ...run, status: 'closed', closed_at: '2026-01-03T00:00:00.000Z', event_count: 3, epsilon_spent: 0.5, rdp: [1, 2] };
        await store.write((tx) => tx.updateRun(closed));
        expect(await store.getRun('t', 'r1')).toEqual(closed);
        const spent = { ...b1, epsilon_spent: 0.5, epsilon_reserved: 0.75, rdp: [1, 2], run_count: 1, ledger: [{ kind: 'self_composed', count: 2, event: gaussian }] } as BudgetRow;
        await store.write((tx) => tx.updateBudget(spent));
        expect(await store.getBudget('t', 'b1')).toEqual(spent);
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
        expect(ids).toEqual(Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => `b${i}`).sort());
        await expect(store.write((tx) => tx.insertBudget({ ...budgetRow('b1'), name: 'dup' }))).rejects.toThrow();
        expect((await store.getBudget('t', 'b1'))?.name).toBe('b1');
      }));

    it('stores events by sequence and pages them; reservations by status; due budgets', () =>
      fresh(async (store) => {
        const records: EventRecord[] = Array.from({ length: 5 }, (_, i) => ({ run_id: 'r1', sequence: i, event: gaussian, recorded_at: '2026-01-01T00:00:02.000Z' }));
        const res = (id: string, expires: string): ReservationRow => ({
          id, tenant: 't', run_id: 'r1', budget_id: 'b1', steps: 4, event: gaussian, status: 'open', created_at: `2026-01-01T00:00:0${id.length}.000Z`, expires_at: expires,
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
        expect(await store.dueBudgets('t', '2026-01-01T00:02:00.000Z')).toEqual([]);
        // A sequence is stored once: a second record with the same (run, sequence) fails the write.
        await expect(store.write((tx) => tx.insertEvents([records[0]!]))).rejects.toThrow();
        await store.write((tx) => tx.insertAuditInput({ run_id: 'r1', tenant: 't', scores: [0.5], included: [true], created_at: 'x' }));
      }));

    it('idempotency records are per tenant and replay their body', () =>
      fresh(async (store) => {
        const row = { tenant: 't', key: 'k1', request_hash: 'h', status: 201, body: { id: 'x', n: [1, 2] }, created_at: 'now' };
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
        expect(await store.revokeApiKey('k1', 'T1')).toEqual({ key_id: 'k1', tenant: 't', created_at: '2026-01-01T00:00:00.000Z', revoked_at: 'T1' });
        expect((await store.revokeApiKey('k1', 'T2'))?.revoked_at).toBe('T1');
        expect(await store.revokeApiKey('nope', 'T1')).toBeUndefined();
        expect(await store.tenantForKeyHash('h1')).toBeUndefined();
        expect(await store.tenantForKeyHash('h2')).toBe('u');
        await expect(store.insertApiKey({ key_id: 'k3', tenant: 't', hash: 'h2', created_at: 'x' })).rejects.toThrow();
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
