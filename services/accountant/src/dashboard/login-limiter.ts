/**
 * Login rate limits: a token bucket per client address (every attempt) and one per tenant (every successful
 * login). Held in process memory on purpose: a refused attempt then costs no database write, so a login flood
 * cannot queue behind, or in front of, ledger appends on the store's single writer. With N replicas the
 * effective limit is N times the configured one; the per-tenant session cap is enforced in the store and holds
 * across replicas regardless.
 */

/** A bucket of `burst` tokens refilled at `perMinute` tokens a minute. */
export interface BucketRate {
  burst: number;
  perMinute: number;
}

export interface LoginLimits {
  perIp: BucketRate;
  perTenant: BucketRate;
}

/** Defaults: 10 attempts at once then one every 6 s per address; 30 logins at once then one every 2 s per tenant. */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perIp: { burst: 10, perMinute: 10 },
  perTenant: { burst: 30, perMinute: 30 },
};

/** Buckets remembered per kind; beyond it the least recently used are dropped (a dropped bucket starts full). */
const MAX_BUCKETS = 10_000;

class Buckets {
  readonly #b = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly rate: BucketRate) {}

  /** Takes a token; returns 0 when granted, else the seconds until one is available. */
  take(key: string, now: number): number {
    const prev = this.#b.get(key);
    // Token bucket: refill linearly at perMinute/60000 per ms, capped at burst (RFC 2697 section 3.1 style).
    const tokens =
      prev === undefined
        ? this.rate.burst
        : Math.min(this.rate.burst, prev.tokens + ((now - prev.at) * this.rate.perMinute) / 60_000);
    this.#b.delete(key);
    if (this.#b.size >= MAX_BUCKETS) this.#b.delete(this.#b.keys().next().value as string);
    if (tokens >= 1) {
      this.#b.set(key, { tokens: tokens - 1, at: now });
      return 0;
    }
    this.#b.set(key, { tokens, at: now });
    return Math.ceil(((1 - tokens) * 60_000) / this.rate.perMinute / 1000);
  }
}

/**
 * Login limiter.
 * @example const l = new LoginLimiter(); l.attempt('10.0.0.1', Date.now()) // 0 (allowed)
 */
export class LoginLimiter {
  readonly #ip: Buckets;
  readonly #tenant: Buckets;

  constructor(limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
    this.#ip = new Buckets(limits.perIp);
    this.#tenant = new Buckets(limits.perTenant);
  }

  /** An attempt from `ip`: 0 when allowed, else seconds to wait. */
  attempt(ip: string, now: number): number {
    return this.#ip.take(ip, now);
  }

  /** A successful login of `tenant`: 0 when a session may be opened, else seconds to wait. */
  login(tenant: string, now: number): number {
    return this.#tenant.take(tenant, now);
  }
}
