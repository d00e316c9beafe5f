/**
 * The storage interface of the accountant. Nothing above it knows which database is underneath: the embedded
 * SQLite implementation is the default, a PostgreSQL one can implement the same methods (SELECT ... FOR UPDATE
 * inside `write`). Rows use the wire's snake_case names.
 */
import type { DpEvent } from '@dpledger/accounting';
import type { components } from '@dpledger/accounting/openapi';

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
}

export interface RunRow {
  id: string;
  tenant: string;
  budget_id: string;
  name: string;
  sampler: S['Sampler'];
  noise_rng?: 'secure' | 'seeded';
  metadata?: Record<string, unknown>;
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
}

export type EventRecord = S['EventRecord'];

export interface ReservationRow {
  id: string;
  tenant: string;
  run_id: string;
  budget_id: string;
  steps: number;
  event: DpEvent;
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
  /** Reservations of a budget with status 'open' (expired ones included; the caller checks `expires_at`). */
  openReservations(budgetId: string): Promise<ReservationRow[]>;
  getIdempotency(tenant: string, key: string): Promise<IdempotencyRow | undefined>;
  putIdempotency(row: IdempotencyRow): Promise<void>;
  insertBudget(row: BudgetRow): Promise<void>;
  insertRun(row: RunRow): Promise<void>;
  /** Inserts records (consecutive sequences from the run's event_count) and adds them to the run's Merkle tree. */
  insertEvents(records: EventRecord[]): Promise<void>;
  insertReservation(row: ReservationRow): Promise<void>;
  updateBudget(row: BudgetRow): Promise<void>;
  updateRun(row: RunRow): Promise<void>;
  setReservationStatus(id: string, status: ReservationRow['status']): Promise<void>;
  /** How many budgets or runs a tenant has (for the per-tenant limits). */
  countOwned(tenant: string, what: 'budgets' | 'runs'): Promise<number>;
}

export interface Store {
  /** A short name of the backend, e.g. 'sqlite'. */
  readonly kind: string;
  /** Runs `fn` in one serializable write transaction; commits when it resolves, rolls back when it throws. */
  write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;

  insertApiKey(row: { key_id: string; tenant: string; hash: string; created_at: string }): Promise<void>;
  /** The tenant whose key hashes to `hash`. */
  tenantForKeyHash(hash: string): Promise<string | undefined>;

  getBudget(tenant: string, id: string): Promise<BudgetRow | undefined>;
  /** A tenant's budgets, newest first. */
  listBudgets(tenant: string): Promise<BudgetRow[]>;
  getRun(tenant: string, id: string): Promise<RunRow | undefined>;
  /** A tenant's runs, newest first, optionally of one budget. */
  listRuns(tenant: string, budgetId?: string): Promise<RunRow[]>;
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
}
