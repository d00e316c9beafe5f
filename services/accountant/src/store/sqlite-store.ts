/**
 * The embedded store: SQLite through better-sqlite3 in WAL mode. One connection writes (BEGIN IMMEDIATE, one
 * write transaction at a time behind a mutex), another reads committed snapshots, so a reader never sees a
 * write that is still in progress. The one writer is shared fairly: queued writes are grouped tenant by tenant
 * in turn (fair-queue.ts), a group is bounded in records and time, the event loop runs between groups, and
 * inside a transaction only while no other write waits, so a waiting write waits for the work of one group.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { sha256Hex } from '../ids.js';
import { FairQueue } from './fair-queue.js';
import { Mutex } from './mutex.js';
import { KEY_HASH_SQL, LIVE_KEY_SQL, apiKeyStatements } from './sqlite-api-keys.js';
import { runTokenStatements } from './sqlite-run-tokens.js';
import { MIGRATIONS, SCHEMA_SQL, SCHEMA_VERSION } from './sqlite-schema.js';
import { appendRecords, type MerkleNodeStore } from './merkle-log.js';
import { backfillMerkle, merkleNodeOf } from './sqlite-merkle.js';
import { budgetFromRow, budgetToRow, eventFromRow, reservationFromRow, runFromRow, runToRow } from './sqlite-rows.js';
import type {
  ApiKeyInfo,
  IdempotencyRow,
  Page,
  ReportRow,
  SessionRow,
  RunTokenRow,
  SigningKeyRow,
  Store,
  WriteOptions,
  WriteTx,
} from './store.js';
import { StartupError } from '../errors.js';

type Raw = Record<string, unknown>;
type Db = Database.Database;

/**
 * When a COMMIT is durable (https://www.sqlite.org/pragma.html#pragma_synchronous). `full` (default): fsync
 * per commit, an acknowledged event survives power loss. `normal`: in WAL mode it survives a process crash but
 * an OS crash or power loss may drop the last commits; faster where fsync is slow.
 */
export type SqliteSynchronous = 'full' | 'normal';

function open(file: string, readonly: boolean, synchronous: SqliteSynchronous = 'full'): Db {
  const db = new Database(file, { readonly, fileMustExist: readonly });
  db.pragma('busy_timeout = 5000');
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
  }
  return db;
}

/** Newest-first page of `table` after (created_at, id): ties on created_at are ordered by rowid, like the full lists */
const pageSql = (table: string, where: string) => `SELECT * FROM ${table} WHERE ${where}
  AND (@created_at IS NULL OR created_at < @created_at
  OR (created_at = @created_at AND rowid < (SELECT rowid FROM ${table} WHERE tenant = @tenant AND id = @id)))
  ORDER BY created_at DESC, rowid DESC LIMIT @limit`;

function statements(db: Db) {
  const p = (sql: string) => db.prepare(sql);
  return {
    budgetsPage: p(pageSql('budgets', 'tenant = @tenant')),
    runsPage: p(pageSql('runs', 'tenant = @tenant')),
    runsOfBudgetPage: p(pageSql('runs', 'tenant = @tenant AND budget_id = @budget_id')),
    openReservations: p(
      "SELECT * FROM reservations WHERE budget_id = ? AND status = 'open' ORDER BY created_at, rowid",
    ),
    session: p(
      `SELECT id_hash, tenant, created_at, last_seen, key_id FROM sessions s WHERE s.id_hash = ? AND
        ${LIVE_KEY_SQL('s')}`,
    ),
    budget: p('SELECT * FROM budgets WHERE tenant = ? AND id = ?'),
    budgets: p('SELECT * FROM budgets WHERE tenant = ? ORDER BY created_at DESC, rowid DESC'),
    run: p('SELECT * FROM runs WHERE tenant = ? AND id = ?'),
    runs: p('SELECT * FROM runs WHERE tenant = ? ORDER BY created_at DESC, rowid DESC'),
    runsOfBudget: p('SELECT * FROM runs WHERE tenant = ? AND budget_id = ? ORDER BY created_at DESC, rowid DESC'),
    events: p('SELECT * FROM events WHERE run_id = ? AND sequence > ? ORDER BY sequence LIMIT ?'),
    eventAt: p('SELECT * FROM events WHERE run_id = ? AND sequence = ?'),
    merkleNode: p('SELECT hash FROM merkle_nodes WHERE run_id = ? AND level = ? AND idx = ?'),
    keyHash: p(KEY_HASH_SQL),
    signingKeys: p('SELECT * FROM signing_keys ORDER BY created_at DESC, rowid DESC'),
    report: p('SELECT * FROM reports WHERE tenant = ? AND run_id = ?'),
    dueBudgets: p(
      "SELECT DISTINCT budget_id FROM reservations WHERE tenant = ? AND status = 'open' AND expires_at <= ?",
    ),
  };
}

function writeStatements(db: Db) {
  const p = (sql: string) => db.prepare(sql);
  return {
    ...statements(db),
    reservation: p('SELECT * FROM reservations WHERE tenant = ? AND id = ?'),
    openReservations: p(
      "SELECT * FROM reservations WHERE budget_id = ? AND status = 'open' ORDER BY created_at, rowid",
    ),
    idem: p('SELECT * FROM idempotency WHERE tenant = ? AND key = ?'),
    idemExpired: p('SELECT 1 FROM idempotency_expired WHERE tenant = ? AND key_hash = ?'),
    oldIdem: p('SELECT tenant, key FROM idempotency WHERE created_at < ? LIMIT 1000'),
    tombstone: p('INSERT OR IGNORE INTO idempotency_expired (tenant, key_hash) VALUES (?, ?)'),
    deleteIdem: p('DELETE FROM idempotency WHERE tenant = ? AND key = ?'),
    countBudgets: p('SELECT count(*) FROM budgets WHERE tenant = ?').pluck(),
    countRuns: p('SELECT count(*) FROM runs WHERE tenant = ?').pluck(),
    insertSession: p(
      `INSERT INTO sessions (id_hash, tenant, created_at, last_seen, key_id) VALUES (@id_hash, @tenant, @created_at,
        @last_seen, @key_id)`,
    ),
    evictSessions: p(`DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions WHERE tenant = ?
      ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)`),
    touchSession: p('UPDATE sessions SET last_seen = ? WHERE id_hash = ?'),
    closeSession: p('DELETE FROM sessions WHERE id_hash = ?'),
    purgeSessions: p('DELETE FROM sessions WHERE last_seen < ? OR created_at < ?'),
    putIdem: p(
      `INSERT INTO idempotency (tenant, key, request_hash, status, body, created_at) VALUES (@tenant, @key,
        @request_hash, @status, @body, @created_at)`,
    ),
    insertBudget: p(
      `INSERT INTO budgets (id, tenant, name, description, epsilon, delta, accountant, neighboring_relation,
        created_at, epsilon_spent, epsilon_reserved, rdp, ledger, run_count, spent_accountant, reserved_accountant)
        VALUES (@id, @tenant, @name, @description, @epsilon, @delta, @accountant, @neighboring_relation, @created_at,
        @epsilon_spent, @epsilon_reserved, @rdp, @ledger, @run_count, @spent_accountant, @reserved_accountant)`,
    ),
    updateBudget: p(
      `UPDATE budgets SET epsilon_spent = @epsilon_spent, epsilon_reserved = @epsilon_reserved, rdp = @rdp, ledger =
        @ledger, run_count = @run_count, spent_accountant = @spent_accountant, reserved_accountant =
        @reserved_accountant WHERE id = @id`,
    ),
    insertRun: p(
      `INSERT INTO runs (id, tenant, budget_id, name, sampler, noise_rng, metadata, allow_large_delta, status,
        event_count, epsilon_spent, rdp, ledger, created_at, closed_at, model_digest, dataset_digest, audit) VALUES
        (@id, @tenant, @budget_id, @name, @sampler, @noise_rng, @metadata, @allow_large_delta, @status, @event_count,
        @epsilon_spent, @rdp, @ledger, @created_at, @closed_at, @model_digest, @dataset_digest, @audit)`,
    ),
    updateRun: p(
      `UPDATE runs SET status = @status, event_count = @event_count, epsilon_spent = @epsilon_spent, rdp = @rdp, ledger
        = @ledger, closed_at = @closed_at, model_digest = @model_digest, dataset_digest = @dataset_digest, audit =
        @audit WHERE id = @id`,
    ),
    insertAuditInput: p(
      `INSERT INTO audit_inputs (run_id, tenant, scores, included, created_at) VALUES (@run_id, @tenant, @scores,
        @included, @created_at)`,
    ),
    insertEvent: p('INSERT INTO events (run_id, sequence, event, recorded_at) VALUES (?, ?, ?, ?)'),
    putMerkleNode: p('INSERT INTO merkle_nodes (run_id, level, idx, hash) VALUES (?, ?, ?, ?)'),
    insertReservation: p(
      `INSERT INTO reservations (id, tenant, run_id, budget_id, steps, event, status, created_at, expires_at) VALUES
        (@id, @tenant, @run_id, @budget_id, @steps, @event, @status, @created_at, @expires_at)`,
    ),
    reservationStatus: p('UPDATE reservations SET status = ? WHERE id = ?'),
    insertKey: p(
      `INSERT INTO api_keys (key_id, tenant, hash, created_at) VALUES (@key_id, @tenant, @hash, @created_at)`,
    ),
    insertSigningKey: p(
      `INSERT INTO signing_keys (kid, private_pem, created_at) VALUES (@kid, @private_pem, @created_at)`,
    ),
    insertReport: p(
      `INSERT OR IGNORE INTO reports (run_id, tenant, kid, envelope, created_at) VALUES (@run_id, @tenant, @kid,
        @envelope, @created_at)`,
    ),
  };
}

const one = (v: unknown) => v as Raw | undefined;
/** Records written (and hashed into the run's Merkle tree) between two chances to yield to the event loop. */
const INSERT_CHUNK = 200;
/**
 * Most records a transaction writes without yielding (the largest request's, LIMITS.recordsPerRequest). Below
 * that it yields between chunks only while no other write waits: a yield keeps reads flowing, but holds the
 * writer while the loop runs other work, so with a write waiting the transaction finishes its records first.
 */
const YIELD_RECORDS = 1_000;
/** Most write transactions committed together (group commit). */
const MAX_GROUP = 256;
/** Most records a group writes: a write larger than what is left in a group waits for the next one (or runs alone). */
const GROUP_RECORDS = 1_000;
/** A group takes no further write after this long (ms since its BEGIN), so its callers are answered soon. */
const GROUP_MS = 10;

/** A queued write transaction and its caller's promise. */
interface QueuedWrite {
  fn: (tx: WriteTx) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Opens (creating if needed) the SQLite database at `file`.
 * @example const store = openSqliteStore('./.dpledger/dpledger.sqlite')
 */
export function openSqliteStore(file: string, options: { synchronous?: SqliteSynchronous } = {}): SqliteStore {
  mkdirSync(dirname(file), { recursive: true });
  // The database holds the signing keys: owner-only; SQLite gives its -wal and -shm files the same mode.
  if (!existsSync(file)) writeFileSync(file, '', { mode: 0o600, flag: 'wx' });
  const writer = open(file, false, options.synchronous);
  const version = writer.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    const why = `database schema version ${version} is newer than this service (${SCHEMA_VERSION})`;
    throw new StartupError('schema_mismatch', why);
  }
  if (version < SCHEMA_VERSION) {
    writer.transaction(() => {
      if (version === 0) writer.exec(SCHEMA_SQL);
      for (const m of MIGRATIONS) {
        if (m.version <= Math.max(version, 1)) continue;
        writer.exec(m.sql);
        if (m.backfill === 'merkle' && version > 0) backfillMerkle(writer); // older versions kept no Merkle nodes
      }
      writer.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }
  return new SqliteStore(writer, open(file, true));
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly mutex = new Mutex();
  private readonly queue = new FairQueue<QueuedWrite>();
  /** A flush is running or scheduled; a write queued meanwhile is taken by a later group. */
  private flushing = false;
  /** Records inserted by the open transaction since it last yielded to the event loop. */
  private sinceYield = 0;
  private readonly w: ReturnType<typeof writeStatements>;
  private readonly r: ReturnType<typeof statements>;
  private readonly tx: WriteTx;
  private readonly keys: ReturnType<typeof apiKeyStatements>;
  private readonly runTokens: ReturnType<typeof runTokenStatements>;
  private readonly s: Record<'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'commit', Database.Statement>;

  constructor(
    private readonly writer: Db,
    private readonly reader: Db,
  ) {
    this.w = writeStatements(writer);
    this.r = statements(reader);
    this.keys = apiKeyStatements(writer);
    this.runTokens = runTokenStatements(writer, reader);
    const p = (sql: string) => writer.prepare(sql);
    this.s = {
      begin: p('BEGIN IMMEDIATE'),
      savepoint: p('SAVEPOINT op'),
      release: p('RELEASE op'),
      rollbackTo: p('ROLLBACK TO op'),
      commit: p('COMMIT'),
    };
    const w = this.w;
    const nodes: MerkleNodeStore = {
      node: (runId, level, index) => merkleNodeOf(w, runId, level, index) ?? missingNode(runId, level, index),
      put: (runId, level, index, hash) => void w.putMerkleNode.run(runId, level, index, hash),
    };
    this.tx = {
      getBudget: async (t, id) => maybe(one(w.budget.get(t, id)), budgetFromRow),
      getRun: async (t, id) => maybe(one(w.run.get(t, id)), runFromRow),
      getReservation: async (t, id) => maybe(one(w.reservation.get(t, id)), reservationFromRow),
      openReservations: async (budgetId) => (w.openReservations.all(budgetId) as Raw[]).map(reservationFromRow),
      getIdempotency: async (t, key) =>
        maybe(one(w.idem.get(t, key)), (x) => ({
          ...(x as unknown as IdempotencyRow),
          body: JSON.parse(x['body'] as string),
        })),
      idempotencyExpired: async (t, key) => w.idemExpired.get(t, sha256Hex(key)) !== undefined,
      countBudgets: async (t) => w.countBudgets.get(t) as number,
      countRuns: async (t) => w.countRuns.get(t) as number,
      putIdempotency: async (row) => void w.putIdem.run({ ...row, body: JSON.stringify(row.body) }),
      insertBudget: async (b) => void w.insertBudget.run(budgetToRow(b)),
      insertRun: async (run) => void w.insertRun.run(runToRow(run)),
      insertEvents: async (records) => {
        let last: unknown;
        let text = '';
        for (let from = 0; from < records.length; from += INSERT_CHUNK) {
          const chunk = records.slice(from, from + INSERT_CHUNK);
          if (this.sinceYield > 0 && (this.queue.length === 0 || this.sinceYield + chunk.length > YIELD_RECORDS)) {
            await yieldToLoop();
            this.sinceYield = 0;
          }
          this.sinceYield += chunk.length;
          for (const e of chunk) {
            if (e.event !== last) text = JSON.stringify((last = e.event));
            w.insertEvent.run(e.run_id, e.sequence, text, e.recorded_at);
          }
          appendRecords(nodes, chunk);
        }
      },
      insertReservation: async (row) => void w.insertReservation.run({ ...row, event: JSON.stringify(row.event) }),
      updateBudget: async (b) => void w.updateBudget.run(budgetToRow(b)),
      updateRun: async (run) => void w.updateRun.run(runToRow(run)),
      setReservationStatus: async (id, status) => void w.reservationStatus.run(status, id),
      insertAuditInput: async (row) =>
        void w.insertAuditInput.run({
          ...row,
          scores: JSON.stringify(row.scores),
          included: JSON.stringify(row.included),
        }),
    };
  }

  /**
   * Group commit: write transactions queued while one runs are run together in the next BEGIN IMMEDIATE ...
   * COMMIT, each inside its own SAVEPOINT, so a refused one rolls back alone and one fsync covers the whole
   * group. No caller is answered before the COMMIT that holds its writes. A group takes writes tenant by tenant
   * in turn, at most GROUP_RECORDS records (a heavier write is committed alone) and GROUP_MS of work, so a small
   * write of one tenant waits for at most one group, never for all of another tenant's queued writes.
   */
  write<T>(fn: (tx: WriteTx) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const weight = Math.max(1, options.records ?? 1);
      this.queue.push(
        options.tenant ?? '',
        { fn: fn as (tx: WriteTx) => Promise<unknown>, resolve: resolve as (v: unknown) => void, reject },
        weight,
      );
      // An idle writer starts at once; a busy one takes this write in a later group.
      if (!this.flushing) {
        this.flushing = true;
        void this.mutex.run(() => this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const group: QueuedWrite[] = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      // The first write is taken before BEGIN, so a BEGIN that fails (busy, I/O) rejects it rather than retrying
      // forever.
      let records = this.queue.peekWeight() ?? 0;
      const first = this.queue.take();
      if (first === undefined) return;
      group.push(first);
      this.s.begin.run();
      this.sinceYield = 0;
      const started = performance.now();
      // Savepoints always: which writes join the group is known only as it runs.
      for (let i = 0; i < group.length; i++) {
        const op = group[i]!;
        this.s.savepoint.run();
        try {
          outcomes.push({ ok: true, value: await op.fn(this.tx) });
          this.s.release.run();
        } catch (err) {
          this.s.rollbackTo.run();
          this.s.release.run();
          outcomes.push({ ok: false, value: err });
        }
        // The next write in turn joins while the group has room in records and time; else it waits for the next group.
        const weight = this.queue.peekWeight();
        if (
          weight === undefined ||
          group.length >= MAX_GROUP ||
          performance.now() - started >= GROUP_MS ||
          records + weight > GROUP_RECORDS
        )
          break;
        records += weight;
        group.push(this.queue.take()!);
      }
      this.s.commit.run();
    } catch (err) {
      if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
      for (const op of group) op.reject(err);
      return;
    } finally {
      // The next group starts after the event loop has run (reads, new requests), not in this turn.
      if (this.queue.length > 0) setImmediate(() => void this.mutex.run(() => this.flush()));
      else this.flushing = false;
    }
    group.forEach((op, i) => (outcomes[i]!.ok ? op.resolve(outcomes[i]!.value) : op.reject(outcomes[i]!.value)));
  }

  async ping(): Promise<void> {
    this.reader.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => {
      if (this.writer.open) this.writer.pragma('wal_checkpoint(TRUNCATE)');
      this.reader.close();
      this.writer.close();
    });
  }

  async insertApiKey(row: { key_id: string; tenant: string; hash: string; created_at: string }): Promise<void> {
    await this.mutex.run(async () => void this.w.insertKey.run(row));
  }

  async tenantForKeyHash(hash: string): Promise<string | undefined> {
    return (this.r.keyHash.get(hash) as { tenant: string } | undefined)?.tenant;
  }

  async apiKeyForHash(hash: string): Promise<{ key_id: string; tenant: string } | undefined> {
    const r = this.r.keyHash.get(hash) as { key_id: string; tenant: string } | undefined;
    return r === undefined ? undefined : { key_id: r.key_id, tenant: r.tenant };
  }

  async listApiKeys(): Promise<ApiKeyInfo[]> {
    return this.mutex.run(async () => this.keys.list());
  }

  async revokeApiKey(keyId: string, at: string): Promise<ApiKeyInfo | undefined> {
    return this.mutex.run(async () => this.keys.revoke(keyId, at));
  }

  async insertRunToken(row: RunTokenRow): Promise<void> {
    await this.mutex.run(async () => this.runTokens.insert(row));
  }

  async runTokenForHash(hash: string): Promise<RunTokenRow | undefined> {
    return this.runTokens.byHash(hash);
  }

  async getBudget(tenant: string, id: string) {
    return maybe(one(this.r.budget.get(tenant, id)), budgetFromRow);
  }

  async listBudgets(tenant: string, page?: Page) {
    const rows = page === undefined ? this.r.budgets.all(tenant) : this.r.budgetsPage.all(pageArgs(tenant, page));
    return (rows as Raw[]).map(budgetFromRow);
  }

  async getRun(tenant: string, id: string) {
    return maybe(one(this.r.run.get(tenant, id)), runFromRow);
  }

  async listRuns(tenant: string, budgetId?: string, page?: Page) {
    let rows: unknown[];
    if (page === undefined) {
      rows = budgetId === undefined ? this.r.runs.all(tenant) : this.r.runsOfBudget.all(tenant, budgetId);
    } else {
      const args = pageArgs(tenant, page);
      const ofBudget = () => this.r.runsOfBudgetPage.all({ ...args, budget_id: budgetId });
      rows = budgetId === undefined ? this.r.runsPage.all(args) : ofBudget();
    }
    return (rows as Raw[]).map(runFromRow);
  }

  async dueBudgets(tenant: string, now: string): Promise<string[]> {
    return (this.r.dueBudgets.all(tenant, now) as { budget_id: string }[]).map((x) => x.budget_id);
  }

  async openReservations(budgetId: string) {
    return (this.r.openReservations.all(budgetId) as Raw[]).map(reservationFromRow);
  }

  async listEvents(runId: string, after: number, limit: number) {
    return (this.r.events.all(runId, after, limit) as Raw[]).map(eventFromRow);
  }

  async merkleNode(runId: string, level: number, index: number): Promise<Buffer | undefined> {
    return merkleNodeOf(this.r, runId, level, index);
  }

  async listSigningKeys(): Promise<SigningKeyRow[]> {
    return this.r.signingKeys.all() as SigningKeyRow[];
  }

  async insertSigningKey(row: SigningKeyRow): Promise<void> {
    await this.mutex.run(async () => void this.w.insertSigningKey.run(row));
  }

  async getReport(tenant: string, runId: string): Promise<ReportRow | undefined> {
    const row = one(this.r.report.get(tenant, runId));
    return maybe(row, (x) => ({ ...(x as unknown as ReportRow), envelope: JSON.parse(x['envelope'] as string) }));
  }

  async putReport(row: ReportRow): Promise<ReportRow> {
    await this.mutex.run(async () => void this.w.insertReport.run({ ...row, envelope: JSON.stringify(row.envelope) }));
    const stored = await this.getReport(row.tenant, row.run_id);
    // internal assertion: the insert above either stored the row or threw
    if (stored === undefined) throw new Error(`report of run ${row.run_id} was not stored`);
    return stored;
  }

  async openSession(row: SessionRow, maxPerTenant: number): Promise<void> {
    await this.write(
      async () => {
        this.w.insertSession.run({ ...row, key_id: row.key_id ?? null });
        this.w.evictSessions.run(row.tenant, maxPerTenant);
      },
      { tenant: row.tenant },
    );
  }

  async getSession(idHash: string): Promise<SessionRow | undefined> {
    const r = this.r.session.get(idHash) as (Omit<SessionRow, 'key_id'> & { key_id: string | null }) | undefined;
    if (r === undefined) return undefined;
    const { key_id, ...rest } = r;
    return key_id === null ? rest : { ...rest, key_id };
  }

  async touchSession(idHash: string, lastSeen: number): Promise<void> {
    await this.write(async () => void this.w.touchSession.run(lastSeen, idHash));
  }

  async closeSession(idHash: string): Promise<void> {
    await this.write(async () => void this.w.closeSession.run(idHash));
  }

  async purge(opts: { idempotencyBefore: string; sessionsIdleBefore: number; sessionsCreatedBefore: number }) {
    let idempotency = 0;
    // In batches, so one purge never holds the writer for long.
    for (;;) {
      const n = await this.write(async () => {
        const old = this.w.oldIdem.all(opts.idempotencyBefore) as { tenant: string; key: string }[];
        for (const r of old) {
          this.w.tombstone.run(r.tenant, sha256Hex(r.key));
          this.w.deleteIdem.run(r.tenant, r.key);
        }
        return old.length;
      });
      idempotency += n;
      if (n === 0) break;
    }
    const purge = () => this.w.purgeSessions.run(opts.sessionsIdleBefore, opts.sessionsCreatedBefore).changes;
    const sessions = await this.write(async () => purge());
    return { idempotency, sessions };
  }

  async checkpoint(): Promise<void> {
    await this.mutex.run(async () => void this.writer.pragma('wal_checkpoint(TRUNCATE)'));
  }
}

function pageArgs(tenant: string, page: Page) {
  return { tenant, limit: page.limit, created_at: page.after?.created_at ?? null, id: page.after?.id ?? null };
}

// internal assertion: every frontier node of a stored tree is stored (nodes are written on insert)
function missingNode(runId: string, level: number, index: number): never {
  throw new Error(`Merkle node ${level}/${index} of run ${runId} is missing`);
}

function maybe<T>(row: Raw | undefined, map: (r: Raw) => T): T | undefined {
  return row === undefined ? undefined : map(row);
}
