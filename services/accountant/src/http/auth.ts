/**
 * Bearer authentication: identifies the caller (admin, tenant, anonymous, or a token that is neither) and
 * decides nothing. Each route decides who may call it with a guard (see guards.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sha256Hex } from '../ids.js';
import type { Store } from '../store/store.js';

/** Who is calling: set on `res.locals.principal` by `authenticate`. */
export type Principal =
  | { kind: 'admin' }
  /** A tenant API key; `key_id` names it, so what it mints (run tokens) dies with it. */
  | { kind: 'tenant'; tenant: string; key_id: string }
  /** A run-scoped token (docs/design.md "Tokens"): reserve, commit, audit and close `run_id` of `tenant`, no more. */
  | { kind: 'run'; tenant: string; run_id: string }
  | { kind: 'anonymous' }
  | { kind: 'invalid' };

function bearer(req: Request): string | undefined | null {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = typeof h === 'string' ? /^Bearer ([\x21-\x7e]{1,512})$/.exec(h) : null;
  return m === null ? null : m[1]!;
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(sha256Hex(a), 'hex'), Buffer.from(sha256Hex(b), 'hex'));
}

/**
 * Sets `res.locals.principal` (and `res.locals.tenant` for a tenant key). A tenant key is looked up in the store
 * on every request and never cached, so a revoked key stops working at once on every replica. A run token is
 * looked up the same way and is `invalid` from its `expires_at` on, or from the revocation of the key that minted
 * it; it never sets `res.locals.tenant` (only the run guard does, for its own run's routes).
 * @example app.use('/v1', authenticate(store, adminToken, () => new Date()))
 */
export function authenticate(store: Store, adminToken: string, now: () => Date = () => new Date()) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const token = bearer(req);
    let principal: Principal;
    if (token === undefined) principal = { kind: 'anonymous' };
    else if (token === null) principal = { kind: 'invalid' };
    else if (sameSecret(token, adminToken)) principal = { kind: 'admin' };
    else {
      const hash = sha256Hex(token);
      const key = await store.apiKeyForHash(hash);
      if (key !== undefined) principal = { kind: 'tenant', tenant: key.tenant, key_id: key.key_id };
      else {
        const scoped = await store.runTokenForHash(hash);
        const live = scoped !== undefined && Date.parse(scoped.expires_at) > now().getTime();
        principal = live ? { kind: 'run', tenant: scoped.tenant, run_id: scoped.run_id } : { kind: 'invalid' };
      }
    }
    res.locals['principal'] = principal;
    if (principal.kind === 'tenant') res.locals['tenant'] = principal.tenant;
    next();
  };
}

/** The caller identified by `authenticate` (anonymous when it did not run). */
export function principalOf(res: Response): Principal {
  return (res.locals['principal'] as Principal | undefined) ?? { kind: 'anonymous' };
}
