/** Dashboard login sessions: random ids held in memory, mapped to a tenant, with an idle and an absolute lifetime. */
import { randomBytes } from 'node:crypto';

/** What a session knows: the tenant it was opened for. The raw API key is never kept. */
export interface Session {
  tenant: string;
  createdAt: number;
  lastSeen: number;
}

/** Options of a session table (milliseconds; `now` is injectable for tests). */
export interface SessionOptions {
  idleMs?: number;
  maxAgeMs?: number;
  maxSessions?: number;
  now?: () => number;
}

/**
 * An in-memory session table. Ids are 256 random bits (node:crypto), so they cannot be guessed.
 * @example const s = new SessionTable(); const id = s.open('acme'); s.get(id)?.tenant // 'acme'
 */
export class SessionTable {
  readonly #sessions = new Map<string, Session>();
  readonly #idleMs: number;
  readonly #maxAgeMs: number;
  readonly #maxSessions: number;
  readonly #now: () => number;

  constructor(opts: SessionOptions = {}) {
    this.#idleMs = opts.idleMs ?? 30 * 60_000;
    this.#maxAgeMs = opts.maxAgeMs ?? 12 * 3_600_000;
    this.#maxSessions = opts.maxSessions ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Opens a session for `tenant` and returns its id (evicting the oldest when the table is full). */
  open(tenant: string): string {
    const now = this.#now();
    this.#sweep(now);
    if (this.#sessions.size >= this.#maxSessions) {
      const oldest = this.#sessions.keys().next();
      if (!oldest.done) this.#sessions.delete(oldest.value);
    }
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { tenant, createdAt: now, lastSeen: now });
    return id;
  }

  /** The live session with this id, refreshed, or undefined when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const s = this.#sessions.get(id);
    if (s === undefined) return undefined;
    const now = this.#now();
    if (this.#expired(s, now)) {
      this.#sessions.delete(id);
      return undefined;
    }
    s.lastSeen = now;
    return s;
  }

  /** Ends a session (logout). */
  close(id: string | undefined): void {
    if (id !== undefined) this.#sessions.delete(id);
  }

  /** Seconds a fresh session cookie should live (the absolute lifetime). */
  get maxAgeSeconds(): number {
    return Math.floor(this.#maxAgeMs / 1000);
  }

  #expired(s: Session, now: number): boolean {
    return now - s.lastSeen > this.#idleMs || now - s.createdAt > this.#maxAgeMs;
  }

  #sweep(now: number): void {
    for (const [id, s] of this.#sessions) if (this.#expired(s, now)) this.#sessions.delete(id);
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
