/**
 * The PostgreSQL store, for several replicas on one database. Each write transaction (READ COMMITTED) takes its
 * locks budget row first: reading a run, a reservation or a budget's open holds first locks the budget they belong to
 * (SELECT ... FOR UPDATE; a run's and a reservation's budget never changes), then the row itself. So every write
 * under one budget is serialized across replicas in one lock order, and each reads the rows the previous one
 * committed: the filter before release prices against the budget as it stands, sequence numbers stay gap-free, and a
 * hold is logged once. Serialization failures, deadlocks (two budgets locked in opposite orders) and unique
 * violations (two replicas storing one idempotency key) roll back and run the whole transaction again, which then
 * replays the stored answer. Counts that gate an insert (budgets and runs per tenant, a tenant's sessions) hold a
 * per-tenant advisory lock until the transaction ends. An unreachable database is a StoreUnavailableError.
 */
import pg from 'pg';
import { migratePg } from './pg-schema.js';
import { SCHEMA_VERSION } from './sqlite-schema.js';
import { sha256Hex } from '../ids.js';
import { pgMerkleNode, queryOf } from './pg-merkle.js';
import { RES_COLS, txOf } from './pg-write-tx.js';
import { budgetFromRow, eventFromRow, reservationFromRow, runFromRow } from './sqlite-rows.js';
import { StoreUnavailableError, isUnavailable } from './store-unavailable.js';
import type {
  ApiKeyInfo,
  Page,
  ReportRow,
  RunTokenRow,
  SessionRow,
  SigningKeyRow,
  Store,
  WriteOptions,
  WriteTx,
} from './store.js';
import { StartupError } from '../errors.js';

/** The row (session or run token, table alias `alias`) was made by a live key, or by none (before schema version 8). */
const LIVE_KEY_PG = (alias: string): string =>
  `(${alias}.key_id IS NULL OR EXISTS (SELECT 1 FROM api_keys k WHERE k.key_id = ${alias}.key_id ` +
  'AND k.revoked_at IS NULL))';

type Raw = Record<string, unknown>;

export interface PgStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Most connections this replica opens (default 10). */
  poolSize?: number;
  /** Server-side statement_timeout in ms (default 5000); a connection attempt gives up after the same time. */
  statementTimeoutMs?: number;
  /** Apply missing migrations at open (default true); false refuses an out-of-date schema instead. */
  migrate?: boolean;
}

/** Connections in use, idle and waited for, for /metrics. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

/** SQLSTATEs that run the whole transaction again: serialization_failure, deadlock_detected, unique_violation. */
const RETRY = new Set(['40001', '40P01', '23505']);
const MAX_ATTEMPTS = 12;

const apiKeyInfo = (r: Raw): ApiKeyInfo => ({
  key_id: r['key_id'] as string,
  tenant: r['tenant'] as string,
  created_at: r['created_at'] as string,
  ...(r['revoked_at'] === null || r['revoked_at'] === undefined ? {} : { revoked_at: r['revoked_at'] as string }),
});

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Connects, applies missing migrations under the advisory lock, and returns the store.
 * @example const store = await openPgStore({ url: process.env.DPLEDGER_DATABASE_URL! })
 */
export async function openPgStore(opts: PgStoreOptions): Promise<PgStore> {
  const timeout = opts.statementTimeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: timeout,
    // The server cancels a statement after `timeout`; the client gives up a little later if the server is gone silent.
    statement_timeout: timeout,
    query_timeout: timeout + 1000,
    idle_in_transaction_session_timeout: 4 * timeout,
    application_name: 'dpledger-accountant',
  });
  // An idle connection cut by a server restart emits 'error' on the pool; without a listener it would kill the process.
  pool.on('error', () => undefined);
  try {
    const status = await migratePg(pool, { apply: opts.migrate ?? true });
    if (status.to !== SCHEMA_VERSION) {
      const why = `database schema version ${status.to} is not ${SCHEMA_VERSION}: run dpledger migrate`;
      throw new StartupError('schema_mismatch', why);
    }
  } catch (err) {
    await pool.end();
    throw err;
  }
  return new PgStore(pool, opts.poolSize ?? 10);
}

export class PgStore implements Store {
  readonly kind = 'postgres';

  constructor(
    private readonly pool: pg.Pool,
    private readonly max: number,
  ) {}

  /** Pool usage for /metrics. */
  poolStats(): PoolStats {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount, max: this.max };
  }

  private async query(sql: string, params: unknown[] = []): Promise<Raw[]> {
    try {
      return (await this.pool.query(sql, params)).rows as Raw[];
    } catch (err) {
      throw wrap(err);
    }
  }

  /** Each write is its own transaction on a pooled connection (they run side by side); `_options` are not needed. */
  async write<T>(fn: (tx: WriteTx) => Promise<T>, _options?: WriteOptions): Promise<T> {
    return this.transaction((client) => fn(txOf(client)));
  }

  /** Runs `fn` between BEGIN and COMMIT on one connection, again after a retryable failure (see the file comment). */
  private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw wrap(err);
      }
      let broken: unknown;
      // A connection cut while checked out emits 'error' on the client, which would end the process unheard; the
      // failing query rejects as well, and that is where it is handled.
      const onError = (err: Error) => (broken = err);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const value = await fn(client);
        await client.query('COMMIT');
        return value;
      } catch (err) {
        if (isUnavailable(err)) {
          broken = err;
          throw wrap(err);
        }
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr;
          throw wrap(rollbackErr);
        }
        const code = (err as { code?: unknown }).code;
        if (typeof code !== 'string' || !RETRY.has(code) || attempt >= MAX_ATTEMPTS) throw err;
      } finally {
        client.off('error', onError);
        // A connection that failed mid-transaction is destroyed rather than reused.
        client.release(broken instanceof Error ? broken : broken === undefined ? undefined : true);
      }
      // Exponential backoff with full jitter, so transactions that collided do not collide again in step.
      await sleep(Math.random() * Math.min(50, 2 ** attempt));
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async insertApiKey(row: { key_id: string; tenant: string; hash: string; created_at: string }): Promise<void> {
    const sql = 'INSERT INTO api_keys (key_id, tenant, hash, created_at) VALUES ($1, $2, $3, $4)';
    await this.query(sql, [row.key_id, row.tenant, row.hash, row.created_at]);
  }

  async tenantForKeyHash(hash: string): Promise<string | undefined> {
    const rows = await this.query('SELECT tenant FROM api_keys WHERE hash = $1 AND revoked_at IS NULL', [hash]);
    return rows[0]?.['tenant'] as string | undefined;
  }

  async apiKeyForHash(hash: string): Promise<{ key_id: string; tenant: string } | undefined> {
    const sql = 'SELECT key_id, tenant FROM api_keys WHERE hash = $1 AND revoked_at IS NULL';
    const r = (await this.query(sql, [hash]))[0];
    return r === undefined ? undefined : { key_id: r['key_id'] as string, tenant: r['tenant'] as string };
  }

  async insertRunToken(row: RunTokenRow): Promise<void> {
    const sql =
      'INSERT INTO run_tokens (hash, token_id, tenant, run_id, created_at, expires_at, key_id) VALUES ($1, $2, $3, ' +
      '$4, $5, $6, $7)';
    const args = [row.hash, row.token_id, row.tenant, row.run_id, row.created_at, row.expires_at, row.key_id ?? null];
    await this.query(sql, args);
  }

  async runTokenForHash(hash: string): Promise<RunTokenRow | undefined> {
    // A token whose minting key is revoked is not found (schema version 8); one with no key_id lives until it expires.
    const sql = `SELECT t.hash, t.token_id, t.tenant, t.run_id, t.created_at, t.expires_at, t.key_id FROM run_tokens t
      WHERE t.hash = $1 AND ${LIVE_KEY_PG('t')}`;
    const rows = await this.query(sql, [hash]);
    const r = rows[0];
    if (r === undefined) return undefined;
    const { key_id, ...rest } = r as unknown as Omit<RunTokenRow, 'key_id'> & { key_id: string | null };
    return key_id === null ? rest : { ...rest, key_id };
  }

  async listApiKeys(): Promise<ApiKeyInfo[]> {
    const sql = 'SELECT key_id, tenant, created_at, revoked_at FROM api_keys ORDER BY created_at, ord';
    return (await this.query(sql)).map(apiKeyInfo);
  }

  async revokeApiKey(keyId: string, at: string): Promise<ApiKeyInfo | undefined> {
    // The first revocation time is kept: revoking twice changes nothing.
    const sql =
      'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE key_id = $2 RETURNING key_id, tenant, ' +
      'created_at, revoked_at';
    const rows = await this.query(sql, [at, keyId]);
    return rows[0] === undefined ? undefined : apiKeyInfo(rows[0]);
  }

  async getBudget(tenant: string, id: string) {
    const rows = await this.query('SELECT * FROM budgets WHERE tenant = $1 AND id = $2', [tenant, id]);
    return rows[0] === undefined ? undefined : budgetFromRow(rows[0]);
  }

  async listBudgets(tenant: string, page?: Page) {
    if (page !== undefined) {
      return (await this.query(pageSql('budgets', ''), pageArgs(tenant, page))).map(budgetFromRow);
    }
    const sql = 'SELECT * FROM budgets WHERE tenant = $1 ORDER BY created_at DESC, ord DESC';
    return (await this.query(sql, [tenant])).map(budgetFromRow);
  }

  async getRun(tenant: string, id: string) {
    const rows = await this.query('SELECT * FROM runs WHERE tenant = $1 AND id = $2', [tenant, id]);
    return rows[0] === undefined ? undefined : runFromRow(rows[0]);
  }

  async listRuns(tenant: string, budgetId?: string, page?: Page) {
    if (page !== undefined) {
      const rows =
        budgetId === undefined
          ? await this.query(pageSql('runs', ''), pageArgs(tenant, page))
          : await this.query(pageSql('runs', ' AND budget_id = $5'), [...pageArgs(tenant, page), budgetId]);
      return rows.map(runFromRow);
    }
    const ofBudget = 'SELECT * FROM runs WHERE tenant = $1 AND budget_id = $2 ORDER BY created_at DESC, ord DESC';
    const rows =
      budgetId === undefined
        ? await this.query('SELECT * FROM runs WHERE tenant = $1 ORDER BY created_at DESC, ord DESC', [tenant])
        : await this.query(ofBudget, [tenant, budgetId]);
    return rows.map(runFromRow);
  }

  async dueBudgets(tenant: string, now: string): Promise<string[]> {
    const sql =
      "SELECT DISTINCT budget_id FROM reservations WHERE tenant = $1 AND status = 'open' AND expires_at <= $2";
    const rows = await this.query(sql, [tenant, now]);
    return rows.map((r) => r['budget_id'] as string);
  }

  async openReservations(budgetId: string) {
    const sql =
      `SELECT ${RES_COLS.join(', ')} FROM reservations ` +
      "WHERE budget_id = $1 AND status = 'open' ORDER BY created_at, ord";
    return (await this.query(sql, [budgetId])).map(reservationFromRow);
  }

  async listEvents(runId: string, after: number, limit: number) {
    const sql = 'SELECT * FROM events WHERE run_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3';
    return (await this.query(sql, [runId, after, limit])).map(eventFromRow);
  }

  async merkleNode(runId: string, level: number, index: number): Promise<Buffer | undefined> {
    try {
      return await pgMerkleNode(queryOf(this.pool), runId, level, index);
    } catch (err) {
      throw wrap(err);
    }
  }

  async listSigningKeys(): Promise<SigningKeyRow[]> {
    const sql = 'SELECT kid, private_pem, created_at FROM signing_keys ORDER BY created_at DESC, ord DESC';
    return (await this.query(sql)) as unknown as SigningKeyRow[];
  }

  async insertSigningKey(row: SigningKeyRow): Promise<void> {
    const sql = 'INSERT INTO signing_keys (kid, private_pem, created_at) VALUES ($1, $2, $3)';
    await this.query(sql, [row.kid, row.private_pem, row.created_at]);
  }

  async getReport(tenant: string, runId: string): Promise<ReportRow | undefined> {
    const sql = 'SELECT run_id, tenant, kid, envelope, created_at FROM reports WHERE tenant = $1 AND run_id = $2';
    const rows = await this.query(sql, [tenant, runId]);
    const r = rows[0];
    if (r === undefined) return undefined;
    return { ...(r as unknown as ReportRow), envelope: JSON.parse(r['envelope'] as string) };
  }

  async putReport(row: ReportRow): Promise<ReportRow> {
    // Reports are immutable: the first stored one wins, whichever replica stored it.
    const sql =
      'INSERT INTO reports (run_id, tenant, kid, envelope, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT ' +
      '(run_id) DO NOTHING';
    await this.query(sql, [row.run_id, row.tenant, row.kid, JSON.stringify(row.envelope), row.created_at]);
    const stored = await this.getReport(row.tenant, row.run_id);
    // internal assertion: the insert above either stored the row or threw
    if (stored === undefined) throw new Error(`report of run ${row.run_id} was not stored`);
    return stored;
  }

  async openSession(row: SessionRow, maxPerTenant: number): Promise<void> {
    await this.transaction(async (client) => {
      // One tenant's logins on several replicas take turns, so the cap holds after all of them commit.
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`dpledger:sessions:${row.tenant}`]);
      const insert =
        'INSERT INTO sessions (id_hash, tenant, created_at, last_seen, key_id) VALUES ($1, $2, $3, $4, $5)';
      await client.query(insert, [row.id_hash, row.tenant, row.created_at, row.last_seen, row.key_id ?? null]);
      const evict =
        'DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions WHERE tenant = $1 ORDER BY created_at ' +
        'DESC, ord DESC OFFSET $2)';
      await client.query(evict, [row.tenant, maxPerTenant]);
    });
  }

  async getSession(idHash: string): Promise<SessionRow | undefined> {
    // A session whose key is revoked is not found (schema version 8); one with no key_id lives until it expires.
    const sql =
      `SELECT id_hash, tenant, created_at, last_seen, key_id FROM sessions s WHERE s.id_hash = $1 AND ` +
      `${LIVE_KEY_PG('s')}`;
    const r = (await this.query(sql, [idHash]))[0];
    if (r === undefined) return undefined;
    // BIGINT arrives as a string from node-postgres; milliseconds since the epoch are safe integers.
    const row: SessionRow = {
      id_hash: r['id_hash'] as string,
      tenant: r['tenant'] as string,
      created_at: Number(r['created_at']),
      last_seen: Number(r['last_seen']),
    };
    return r['key_id'] === null ? row : { ...row, key_id: r['key_id'] as string };
  }

  async touchSession(idHash: string, lastSeen: number): Promise<void> {
    await this.query('UPDATE sessions SET last_seen = $1 WHERE id_hash = $2', [lastSeen, idHash]);
  }

  async closeSession(idHash: string): Promise<void> {
    await this.query('DELETE FROM sessions WHERE id_hash = $1', [idHash]);
  }

  async purge(opts: { idempotencyBefore: string; sessionsIdleBefore: number; sessionsCreatedBefore: number }) {
    let idempotency = 0;
    // In batches of 1,000, each one transaction: a tombstone is written in the same commit that deletes its record.
    for (;;) {
      const n = await this.transaction(async (client) => {
        const due = 'SELECT tenant, key FROM idempotency WHERE created_at < $1 LIMIT 1000 FOR UPDATE SKIP LOCKED';
        const old = (await client.query<{ tenant: string; key: string }>(due, [opts.idempotencyBefore])).rows;
        if (old.length === 0) return 0;
        const tenants = old.map((r) => r.tenant);
        const tombstone =
          'INSERT INTO idempotency_expired (tenant, key_hash) SELECT * FROM unnest($1::text[], $2::text[]) ON ' +
          'CONFLICT DO NOTHING';
        await client.query(tombstone, [tenants, old.map((r) => sha256Hex(r.key))]);
        const remove = 'DELETE FROM idempotency WHERE (tenant, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))';
        await client.query(remove, [tenants, old.map((r) => r.key)]);
        return old.length;
      });
      idempotency += n;
      if (n === 0) break;
    }
    const sql = 'DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2';
    const args = [opts.sessionsIdleBefore, opts.sessionsCreatedBefore];
    const sessions = (await this.transaction((client) => client.query(sql, args))).rowCount ?? 0;
    return { idempotency, sessions };
  }

  /** PostgreSQL manages its own write-ahead log: nothing to do. */
  async checkpoint(): Promise<void> {}
}

/**
 * Newest-first page of `table` for tenant $1 after ($2 created_at, $3 id), at most $4 rows: ties on created_at are
 * ordered by `ord` (insertion order), like the full lists.
 */
const pageSql = (table: 'budgets' | 'runs', where: string) => `SELECT * FROM ${table} WHERE tenant = $1${where}
  AND ($2::text IS NULL OR created_at < $2
    OR (created_at = $2 AND ord < (SELECT ord FROM ${table} WHERE tenant = $1 AND id = $3::text)))
  ORDER BY created_at DESC, ord DESC LIMIT $4`;

function pageArgs(tenant: string, page: Page): unknown[] {
  return [tenant, page.after?.created_at ?? null, page.after?.id ?? null, page.limit];
}

function wrap(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || !isUnavailable(err)) return err;
  const why = err instanceof Error ? err.message : String(err);
  return new StoreUnavailableError(`the database does not answer: ${why}`, { cause: err });
}
