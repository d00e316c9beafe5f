/** Bearer authentication: the admin token for admin routes, a tenant's API key (stored hashed) for the rest. */
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { ServiceError } from '../errors.js';
import { sha256Hex } from '../ids.js';
import type { Store } from '../store/store.js';

/** Admin-only routes (method + path). */
const ADMIN = new Set(['POST /v1/api-keys', 'POST /v1/keys/rotate']);
/** Key hashes remembered per app. */
const KNOWN_LIMIT = 10_000;
/** Routes anyone may call. */
const PUBLIC = new Set(['GET /v1/keys']);

function bearer(req: Request): string | undefined {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer ([\x21-\x7e]{1,512})$/.exec(h) : null;
  return m?.[1];
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(sha256Hex(a), 'hex'), Buffer.from(sha256Hex(b), 'hex'));
}

/**
 * Sets `res.locals.tenant` from the bearer key, or answers 401. Runs before request validation, so a caller
 * without a valid token learns nothing about the request shape.
 * @example app.use('/v1', authenticate(store, adminToken))
 */
export function authenticate(store: Store, adminToken: string) {
  // Keys are never changed or revoked (no such route yet), so a found key hash can be remembered.
  const known = new Map<string, string>();
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const route = `${req.method} ${req.baseUrl}${req.path}`.replace(/\/$/, '');
    if (PUBLIC.has(route)) return next();
    const token = bearer(req);
    if (token === undefined) throw new ServiceError('unauthorized', 'a bearer token is required');
    if (ADMIN.has(route)) {
      if (!sameSecret(token, adminToken)) throw new ServiceError('unauthorized', 'the admin token is wrong');
      res.locals['admin'] = true;
      return next();
    }
    const hash = sha256Hex(token);
    let tenant = known.get(hash);
    if (tenant === undefined) {
      tenant = await store.tenantForKeyHash(hash);
      if (tenant === undefined) throw new ServiceError('unauthorized', 'the API key is wrong');
      if (known.size >= KNOWN_LIMIT) known.delete(known.keys().next().value as string);
      known.set(hash, tenant);
    }
    res.locals['tenant'] = tenant;
    next();
  };
}
