/** The fingerprint an Idempotency-Key is bound to: method, path and the body in a canonical form. */
import type { Request } from 'express';
import { stableKey } from '@dpledger/accounting';
import { sha256Hex } from '../ids.js';
import type { Caller } from '../ledger/engine.js';

/**
 * The caller of a tenant route, with its idempotency key and request fingerprint when the header is present.
 * @example const caller = callerOf(req, res.locals.tenant)
 */
export function callerOf(req: Request, tenant: string): Caller {
  const key = req.get('Idempotency-Key');
  if (key === undefined) return { tenant };
  return { tenant, idempotency: { key, hash: sha256Hex(`${req.method} ${req.baseUrl}${req.path}\n${stableKey(req.body)}`) } };
}
