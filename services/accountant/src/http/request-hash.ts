/** The fingerprint an Idempotency-Key is bound to: method, path and the body in a canonical form. */
import type { Request } from 'express';
import { stableKey } from '@dpledger/accounting';
import { sha256Hex } from '../ids.js';
import type { Caller } from '../ledger/engine.js';

/**
 * The caller of a tenant route, with its idempotency key and request fingerprint when the header is present, and
 * the one run a run-scoped token is limited to.
 * @example const caller = callerOf(req, res.locals.tenant)
 */
export function callerOf(req: Request, tenant: string, run?: string): Caller {
  const scope = run === undefined ? {} : { run };
  const key = req.get('Idempotency-Key');
  if (key === undefined) return { tenant, ...scope };
  return {
    tenant,
    ...scope,
    idempotency: { key, hash: sha256Hex(`${req.method} ${req.baseUrl}${req.path}\n${stableKey(req.body)}`) },
  };
}
