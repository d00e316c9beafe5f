/**
 * Dashboard login sessions, kept in the store so that they survive a restart and are shared by replicas. The
 * cookie carries 256 random bits; the store keeps only their SHA-256, so a copy of the database opens no
 * session. Each tenant has at most `maxPerTenant` sessions: a new login evicts that tenant's oldest, never
 * another tenant's.
 */
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../ids.js';
import type { SessionRow, Store } from '../store/store.js';

/**
 * What a session knows: the tenant it was opened for and the id of the API key used (never the key itself). A
 * store-backed session is refused from the next request on once that key is revoked (the store's `getSession`
 * finds no session of a revoked key); a session with no key id (opened before schema version 8, or by a source
 * without key ids) lives until it expires.
 */
export interface Session {
  tenant: string;
  keyId?: string;
  createdAt: number;
  lastSeen: number;
}

/** The part of the store that sessions use. */
export type SessionStore = Pick<Store, 'openSession' | 'getSession' | 'touchSession' | 'closeSession'>;

/** Defaults: 30 minutes idle, 12 hours at most, 50 sessions per tenant. */
export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
export const DEFAULT_SESSION_MAX_AGE_MS = 12 * 3_600_000;
export const DEFAULT_SESSIONS_PER_TENANT = 50;

/** Options of a session table (milliseconds; `now` is injectable for tests). */
export interface SessionOptions {
  idleMs?: number;
  maxAgeMs?: number;
  /** Sessions one tenant may hold; opening one more ends that tenant's oldest. */
  maxPerTenant?: number;
  now?: () => number;
}

/**
 * Sessions in a store.
 * @example const s = new SessionTable(store); const id = await s.open('acme'); (await s.get(id))?.tenant // 'acme'
 */
export class SessionTable {
  readonly #store: SessionStore;
  readonly #idleMs: number;
  readonly #maxAgeMs: number;
  readonly #maxPerTenant: number;
  readonly #now: () => number;
  /** `last_seen` is written at most this often per session, so reading pages does not write on every request. */
  readonly #touchMs: number;

  constructor(store: SessionStore = new MemorySessionStore(), opts: SessionOptions = {}) {
    this.#store = store;
    this.#idleMs = opts.idleMs ?? DEFAULT_SESSION_IDLE_MS;
    this.#maxAgeMs = opts.maxAgeMs ?? DEFAULT_SESSION_MAX_AGE_MS;
    this.#maxPerTenant = opts.maxPerTenant ?? DEFAULT_SESSIONS_PER_TENANT;
    this.#now = opts.now ?? Date.now;
    this.#touchMs = Math.min(60_000, Math.floor(this.#idleMs / 10));
  }

  /** Opens a session for `tenant`, logged in with API key `keyId`, and returns its id (the cookie value). */
  async open(tenant: string, keyId?: string): Promise<string> {
    const now = this.#now();
    const id = randomBytes(32).toString('base64url');
    const row: SessionRow = {
      id_hash: sha256Hex(id),
      tenant,
      created_at: now,
      last_seen: now,
      ...(keyId === undefined ? {} : { key_id: keyId }),
    };
    await this.#store.openSession(row, this.#maxPerTenant);
    return id;
  }

  /** The live session with this id, or undefined when unknown, evicted or expired. */
  async get(id: string | undefined): Promise<Session | undefined> {
    if (id === undefined || id.length > 128) return undefined;
    const hash = sha256Hex(id);
    const s = await this.#store.getSession(hash);
    if (s === undefined) return undefined;
    const now = this.#now();
    if (now - s.last_seen > this.#idleMs || now - s.created_at > this.#maxAgeMs) {
      await this.#store.closeSession(hash);
      return undefined;
    }
    if (now - s.last_seen >= this.#touchMs) await this.#store.touchSession(hash, now);
    return {
      tenant: s.tenant,
      ...(s.key_id === undefined ? {} : { keyId: s.key_id }),
      createdAt: s.created_at,
      lastSeen: now,
    };
  }

  /** Ends a session (logout). */
  async close(id: string | undefined): Promise<void> {
    if (id !== undefined && id.length <= 128) await this.#store.closeSession(sha256Hex(id));
  }

  /** Seconds a fresh session cookie should live (the absolute lifetime). */
  get maxAgeSeconds(): number {
    return Math.floor(this.#maxAgeMs / 1000);
  }
}

/**
 * Sessions in process memory, for a dashboard used without a store (tests, embedding). Same per-tenant cap. It
 * knows no API keys, so it cannot end a session when its key is revoked: the service uses the store's sessions.
 */
export class MemorySessionStore implements SessionStore {
  readonly #rows = new Map<string, SessionRow>();

  async openSession(row: SessionRow, maxPerTenant: number): Promise<void> {
    this.#rows.set(row.id_hash, { ...row });
    const mine = [...this.#rows.values()].filter((r) => r.tenant === row.tenant);
    // Map order is insertion order: the first ones are the oldest.
    for (const r of mine.slice(0, Math.max(0, mine.length - maxPerTenant))) this.#rows.delete(r.id_hash);
  }

  async getSession(idHash: string): Promise<SessionRow | undefined> {
    const r = this.#rows.get(idHash);
    return r === undefined ? undefined : { ...r };
  }

  async touchSession(idHash: string, lastSeen: number): Promise<void> {
    const r = this.#rows.get(idHash);
    if (r !== undefined) r.last_seen = lastSeen;
  }

  async closeSession(idHash: string): Promise<void> {
    this.#rows.delete(idHash);
  }
}

/**
 * Reads one cookie from a Cookie request header.
 * @example readCookie('a=1; dpl_session=xyz', 'dpl_session') // 'xyz'
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
