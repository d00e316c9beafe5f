/**
 * A PostgreSQL write transaction (pg-store.ts says why the budget row is locked first). Rows use the SQLite store's
 * encodings (sqlite-rows.ts): JSON as TEXT, RDP vectors as float64 BYTEA, times as ISO 8601 TEXT.
 */
import type pg from 'pg';
import { sha256Hex } from '../ids.js';
import { appendPgRecords } from './pg-merkle.js';
import { budgetFromRow, budgetToRow, reservationFromRow, runFromRow, runToRow } from './sqlite-rows.js';
import type { IdempotencyRow, WriteTx } from './store.js';

type Raw = Record<string, unknown>;

const BUDGET_COLS = [
  'id',
  'tenant',
  'name',
  'description',
  'epsilon',
  'delta',
  'accountant',
  'neighboring_relation',
  'created_at',
  'epsilon_spent',
  'epsilon_reserved',
  'rdp',
  'ledger',
  'run_count',
  'spent_accountant',
  'reserved_accountant',
];
const RUN_COLS = [
  'id',
  'tenant',
  'budget_id',
  'name',
  'sampler',
  'noise_rng',
  'metadata',
  'allow_large_delta',
  'status',
  'event_count',
  'epsilon_spent',
  'rdp',
  'ledger',
  'created_at',
  'closed_at',
  'model_digest',
  'dataset_digest',
  'audit',
];
const RUN_UPDATE = [
  'status',
  'event_count',
  'epsilon_spent',
  'rdp',
  'ledger',
  'closed_at',
  'model_digest',
  'dataset_digest',
  'audit',
];
const BUDGET_UPDATE = [
  'epsilon_spent',
  'epsilon_reserved',
  'rdp',
  'ledger',
  'run_count',
  'spent_accountant',
  'reserved_accountant',
];
/** The reservation columns (a row's `ord` is not part of ReservationRow). */
export const RES_COLS = ['id', 'tenant', 'run_id', 'budget_id', 'steps', 'event', 'status', 'created_at', 'expires_at'];

function insertSql(table: string, cols: string[]): string {
  return `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`;
}

function updateSql(table: string, cols: string[]): string {
  return `UPDATE ${table} SET ${cols.map((c, i) => `${c} = $${i + 1}`).join(', ')} WHERE id = $${cols.length + 1}`;
}

const values = (row: Raw, cols: string[]) => cols.map((c) => row[c] ?? null);

/**
 * The transaction's operations on one connection; reads of rows it may change lock them (FOR UPDATE), budget first.
 * @example const value = await fn(txOf(client)) // between BEGIN and COMMIT
 */
export function txOf(client: pg.PoolClient): WriteTx {
  const q = async (sql: string, params: unknown[]) => (await client.query(sql, params)).rows as Raw[];
  const first = async <T>(sql: string, params: unknown[], map: (r: Raw) => T) => {
    const r = (await q(sql, params))[0];
    return r === undefined ? undefined : map(r);
  };
  // The lock every write under a budget takes first (see the file comment).
  const lockBudgetOf = (table: 'runs' | 'reservations', t: string, id: string) =>
    q(`SELECT id FROM budgets WHERE id = (SELECT budget_id FROM ${table} WHERE tenant = $1 AND id = $2) FOR UPDATE`, [
      t,
      id,
    ]);
  // A count that decides whether a tenant may add one more row: the transaction holds a lock per tenant and table
  // until it ends, so two replicas cannot both read `limit - 1` and both insert (a budget lock does not cover this).
  const countLocked = async (table: 'budgets' | 'runs', t: string) => {
    await q('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`dpledger:${table}:${t}`]);
    return Number((await q(`SELECT count(*) AS n FROM ${table} WHERE tenant = $1`, [t]))[0]!['n']);
  };
  return {
    getBudget: (t, id) =>
      first('SELECT * FROM budgets WHERE tenant = $1 AND id = $2 FOR UPDATE', [t, id], budgetFromRow),
    getRun: async (t, id) => {
      await lockBudgetOf('runs', t, id);
      return first('SELECT * FROM runs WHERE tenant = $1 AND id = $2 FOR UPDATE', [t, id], runFromRow);
    },
    getReservation: async (t, id) => {
      await lockBudgetOf('reservations', t, id);
      return first(
        `SELECT ${RES_COLS.join(', ')} FROM reservations WHERE tenant = $1 AND id = $2 FOR UPDATE`,
        [t, id],
        reservationFromRow,
      );
    },
    openReservations: async (budgetId) => {
      await q('SELECT id FROM budgets WHERE id = $1 FOR UPDATE', [budgetId]);
      return (
        await q(
          `SELECT ${RES_COLS.join(', ')} FROM reservations ` +
            "WHERE budget_id = $1 AND status = 'open' ORDER BY created_at, ord FOR UPDATE",
          [budgetId],
        )
      ).map(reservationFromRow);
    },
    getIdempotency: (t, key) =>
      first(
        'SELECT tenant, key, request_hash, status, body, created_at FROM idempotency WHERE tenant = $1 AND key = $2',
        [t, key],
        (x) => ({ ...(x as unknown as IdempotencyRow), body: JSON.parse(x['body'] as string) }),
      ),
    idempotencyExpired: async (t, key) =>
      (await q('SELECT 1 FROM idempotency_expired WHERE tenant = $1 AND key_hash = $2', [t, sha256Hex(key)])).length >
      0,
    countBudgets: (t) => countLocked('budgets', t),
    countRuns: (t) => countLocked('runs', t),
    putIdempotency: async (row) =>
      void (await q(
        'INSERT INTO idempotency (tenant, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [row.tenant, row.key, row.request_hash, row.status, JSON.stringify(row.body), row.created_at],
      )),
    insertBudget: async (b) => void (await q(insertSql('budgets', BUDGET_COLS), values(budgetToRow(b), BUDGET_COLS))),
    insertRun: async (run) => void (await q(insertSql('runs', RUN_COLS), values(runToRow(run), RUN_COLS))),
    insertEvents: async (records) => {
      if (records.length === 0) return;
      // One statement for the batch: records of one run share their event object, serialized once.
      let last: unknown;
      let text = '';
      const runIds: string[] = [];
      const seqs: number[] = [];
      const events: string[] = [];
      const times: string[] = [];
      for (const e of records) {
        if (e.event !== last) text = JSON.stringify((last = e.event));
        runIds.push(e.run_id);
        seqs.push(e.sequence);
        events.push(text);
        times.push(e.recorded_at);
      }
      await q(
        'INSERT INTO events (run_id, sequence, event, recorded_at) ' +
          'SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[])',
        [runIds, seqs, events, times],
      );
      await appendPgRecords(q, records);
    },
    insertReservation: async (row) =>
      void (await q(
        insertSql('reservations', RES_COLS),
        values({ ...row, event: JSON.stringify(row.event) } as unknown as Raw, RES_COLS),
      )),
    updateBudget: async (b) => {
      const r = budgetToRow(b);
      await q(updateSql('budgets', BUDGET_UPDATE), [...values(r, BUDGET_UPDATE), b.id]);
    },
    updateRun: async (run) => {
      const r = runToRow(run);
      await q(updateSql('runs', RUN_UPDATE), [...values(r, RUN_UPDATE), run.id]);
    },
    setReservationStatus: async (id, status) =>
      void (await q('UPDATE reservations SET status = $1 WHERE id = $2', [status, id])),
    insertAuditInput: async (row) =>
      void (await q(
        'INSERT INTO audit_inputs (run_id, tenant, scores, included, created_at) VALUES ($1, $2, $3, $4, $5)',
        [row.run_id, row.tenant, JSON.stringify(row.scores), JSON.stringify(row.included), row.created_at],
      )),
  };
}
