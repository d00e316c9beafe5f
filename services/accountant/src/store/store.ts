/**
 * The storage interface of the accountant. Nothing above it knows which database is underneath: the embedded
 * SQLite implementation is the default, a PostgreSQL one can implement the same methods (SELECT ... FOR UPDATE
 * inside `write`). Rows use the wire's snake_case names.
 */
import type { DpEvent } from '@dpledger/accounting';
import type { components } from '@dpledger/api';

type S = components['schemas'];

export interface BudgetRow {
  id: string;
  tenant: string;
  name: string;
  description?: string;
  epsilon: number;
  delta: number;
  accountant: S['AccountantKind'];
  neighboring_relation: S['NeighboringRelation'];
  created_at: string;
  /** Epsilon at `delta` of every committed event of every run of the budget. */
  epsilon_spent: number;
  /** Epsilon at `delta` of committed events plus open reservations. */
  epsilon_reserved: number;
  /** Running RDP vector (one value per order of the meter) of the committed events. */
  rdp: number[];
  /** The committed events of all runs, run-length merged (the entries of a `composed` event). */
  ledger: DpEvent[];
  run_count: number;
  /** Which accountant gave `epsilon_spent` (absent: 'rdp'). */
  spent_accountant?: S['AccountantKind'];
  /** Which accountant gave `epsilon_reserved` (absent: 'rdp'). */
  reserved_accountant?: S['AccountantKind'];
}

/** Where a page of a newest-first list starts: after the item with this creation time and id. */
export interface PageAfter {
  created_at: string;
  id: string;
}

/** A page request: at most `limit` items, after `after` when given. */
export interface Page {
  limit: number;
  after?: PageAfter;
}

/** A dashboard login session; `id_hash` is the SHA-256 of the cookie value (the value itself is never stored). */
export interface SessionRow {
  id_hash: string;
  tenant: string;
  /** Milliseconds since the epoch. */
  created_at: number;
  last_seen: number;
  /**
   * The API key the session was opened with: the session is refused once that key is revoked. Absent for a session
   * opened before schema version 8 (it lives until it expires).
   */
  key_id?: string;
}

export interface RunRow {
  id: string;
  tenant: string;
  budget_id: string;
  name: string;
  sampler: S['Sampler'];
  noise_rng?: 'secure' | 'seeded';
  metadata?: Record<string, unknown>;
  /** Set when the run was created with allow_large_delta and its budget delta is not below 1/dataset_size. */
  allow_large_delta?: true;
  status: 'open' | 'closed';
  event_count: number;
  epsilon_spent: number;
  /** Running RDP vector of this run's own events. */
  rdp: number[];
  /** This run's events, run-length merged. */
  ledger: DpEvent[];
  created_at: string;
  closed_at?: string;
  model_digest?: S['Digest'];
  dataset_digest?: S['Digest'];
  /** The one-run audit computed from the submitted canaries (signed into the report at close). */
  audit?: S['Audit'];
}

/** The canary scores and inclusion bits an audit was computed from: kept to re-verify it, never served. */
export interface AuditInputRow {
  run_id: string;
  tenant: string;
  scores: number[];
  included: boolean[];
  created_at: string;
}

export type EventRecord = S['EventRecord'];

/** An API key by id (never the key or its hash). */
export type ApiKeyInfo = S['ApiKeyInfo'];

/** A run-scoped token (docs/design.md "Tokens"); `hash` is the SHA-256 of the secret, which is never stored. */
export interface RunTokenRow {
  hash: string;
  token_id: string;
  tenant: string;
  run_id: string;
  created_at: string;
  expires_at: string;
  /**
   * The API key that minted the token (directly, or behind the dashboard session that did): the token is refused
   * once that key is revoked. Absent for a token minted before schema version 8 (it lives until `expires_at`).
   */
  key_id?: string;
}

export interface ReservationRow {
  id: string;
  tenant: string;
  run_id: string;
  budget_id: string;
  steps: number;
  event: DpEvent;
  /** 'expired': it expired or its run closed before a commit, and every reserved step was logged as used. */
  status: 'open' | 'committed' | 'expired';
  created_at: string;
  expires_at: string;
}

/** A stored answer to an idempotent request. */
export interface IdempotencyRow {
  tenant: string;
  key: string;
  request_hash: string;
  status: number;
  body: unknown;
  created_at: string;
}

export interface SigningKeyRow {
  kid: string;
  /** PKCS#8 PEM. */
  private_pem: string;
  created_at: string;
}

export interface ReportRow {
  run_id: string;
  tenant: string;
  kid: string;
  envelope: unknown;
  created_at: string;
}

/** What a write transaction may do. Every method sees and locks the transaction's own snapshot. */
export interface WriteTx {
  getBudget(tenant: string, id: string): Promise<BudgetRow | undefined>;
  getRun(tenant: string, id: string): Promise<RunRow | undefined>;
  getReservation(tenant: string, id: string): Promise<ReservationRow | undefined>;
  /** Reservations of a budget with status 'open', oldest first (expired ones included until they are logged). */
  openReservations(budgetId: string): Promise<ReservationRow[]>;
  getIdempotency(tenant: string, key: string): Promise<IdempotencyRow | undefined>;
  /** Whether this key's record was purged after the retention period (its tombstone is kept). */
  idempotencyExpired(tenant: string, key: string): Promise<boolean>;
  /** How many budgets, and runs, a tenant has. */
  countBudgets(tenant: string): Promise<number>;
  countRuns(tenant: string): Promise<number>;
  putIdempotency(row: IdempotencyRow): Promise<void>;
  insertBudget(row: BudgetRow): Promise<void>;
  insertRun(row: RunRow): Promise<void>;
  /** Inserts records (consecutive sequences from the run's event_count) and adds them to the run's Merkle tree. */
  insertEvents(records: EventRecord[]): Promise<void>;
  insertReservation(row: ReservationRow): Promise<void>;
  updateBudget(row: BudgetRow): Promise<void>;
  updateRun(row: RunRow): Promise<void>;
  setReservationStatus(id: string, status: ReservationRow['status']): Promise<void>;
  insertAuditInput(row: AuditInputRow): Promise<void>;
}

/** Who a write transaction is for, and its size, for the store's scheduling (sqlite-store.ts). */
export interface WriteOptions {
  /** The tenant the write is for; writes of different tenants are served in turn. Default: a shared system lane. */
  tenant?: string;
  /** Most event records the write may insert (default 1); a write heavier than a group's room is committed alone. */
  records?: number;
}

export interface Store {
  /** A short name of the backend, e.g. 'sqlite'. */
  readonly kind: string;
  /**
   * Runs `fn` in one serializable write transaction; commits when it resolves, rolls back when it throws.
   * `options` say whose write it is and how much it may write, so one tenant's heavy writes cannot hold up
   * another tenant's (a scheduling hint only: it never changes what the transaction does).
   */
  write<T>(fn: (tx: WriteTx) => Promise<T>, options?: WriteOptions): Promise<T>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;

  insertApiKey(row: { key_id: string; tenant: string; hash: string; created_at: string }): Promise<void>;
  /** The tenant whose live (unrevoked) key hashes to `hash`; asked on every request, so never cache it. */
  tenantForKeyHash(hash: string): Promise<string | undefined>;
  /** The id and tenant of the live (unrevoked) key that hashes to `hash`; asked on every request, never cached. */
  apiKeyForHash(hash: string): Promise<{ key_id: string; tenant: string } | undefined>;
  /** Every API key, oldest first. */
  listApiKeys(): Promise<ApiKeyInfo[]>;
  /** Marks a key revoked (keeping the first revocation time); undefined when there is no such key. */
  revokeApiKey(keyId: string, at: string): Promise<ApiKeyInfo | undefined>;

  insertRunToken(row: RunTokenRow): Promise<void>;
  /**
   * The run token whose secret hashes to `hash`, expired or not (the caller compares `expires_at`); undefined when
   * the key that minted it is revoked.
   */
  runTokenForHash(hash: string): Promise<RunTokenRow | undefined>;

  getBudget(tenant: string, id: string): Promise<BudgetRow | undefined>;
  /** A tenant's budgets, newest first (all of them, or one page). */
  listBudgets(tenant: string, page?: Page): Promise<BudgetRow[]>;
  getRun(tenant: string, id: string): Promise<RunRow | undefined>;
  /** A tenant's runs, newest first, optionally of one budget (all of them, or one page). */
  listRuns(tenant: string, budgetId?: string, page?: Page): Promise<RunRow[]>;
  /** Budgets of a tenant with an open reservation whose `expires_at` is at or before `now` (ISO 8601). */
  dueBudgets(tenant: string, now: string): Promise<string[]>;
  /** Reservations of a budget with status 'open', expired ones included (read-time view of holds). */
  openReservations(budgetId: string): Promise<ReservationRow[]>;
  /** Event records of a run with sequence > `after` (-1 for all), oldest first, at most `limit`. */
  listEvents(runId: string, after: number, limit: number): Promise<EventRecord[]>;
  /**
   * A node of the run's RFC 9162 tree: the hash of leaves [index * 2^level, (index + 1) * 2^level), kept as
   * records are inserted (level 0: the leaf hash of record `index`); undefined when that subtree is incomplete.
   */
  merkleNode(runId: string, level: number, index: number): Promise<Buffer | undefined>;

  listSigningKeys(): Promise<SigningKeyRow[]>;
  insertSigningKey(row: SigningKeyRow): Promise<void>;

  getReport(tenant: string, runId: string): Promise<ReportRow | undefined>;
  /** Stores a run's report unless one exists (reports are immutable); returns the stored one. */
  putReport(row: ReportRow): Promise<ReportRow>;

  /** Stores a session, then deletes the oldest sessions of the same tenant beyond `maxPerTenant`. */
  openSession(row: SessionRow, maxPerTenant: number): Promise<void>;
  /** The stored session; undefined when the key that opened it is revoked (expiry is the caller's to check). */
  getSession(idHash: string): Promise<SessionRow | undefined>;
  touchSession(idHash: string, lastSeen: number): Promise<void>;
  closeSession(idHash: string): Promise<void>;

  /**
   * Housekeeping: idempotency records created before `idempotencyBefore` are deleted and leave a tombstone
   * (tenant, SHA-256 of the key); sessions idle since `sessionsIdleBefore` or created before
   * `sessionsCreatedBefore` (ms since the epoch) are deleted. Returns how many of each went.
   */
  purge(opts: {
    idempotencyBefore: string;
    sessionsIdleBefore: number;
    sessionsCreatedBefore: number;
  }): Promise<{ idempotency: number; sessions: number }>;
  /** Moves the write-ahead log into the database and truncates it (a no-op where there is none). */
  checkpoint(): Promise<void>;
}
