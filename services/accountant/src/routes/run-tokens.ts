/** Run-scoped tokens: a tenant key mints one for an open run (a token never mints tokens). */
import type { Router } from 'express';
import type { components } from '@dpledger/api';
import { ServiceError } from '../errors.js';
import { principalOf } from '../http/auth.js';
import { tenantOf, type Ctx } from '../http/context.js';
import { mintRunToken } from '../run-tokens.js';

export function runTokenRoutes(r: Router, ctx: Ctx): void {
  r.post('/v1/runs/:run_id/tokens', ctx.guards.requireTenant, async (req, res) => {
    const body = (req.body ?? {}) as components['schemas']['RunTokenCreate'];
    const p = principalOf(res);
    // requireTenant lets only a tenant key through; the token records that key and dies with it.
    if (p.kind !== 'tenant') throw new ServiceError('unauthorized', 'a tenant API key is required');
    const minted = await mintRunToken(
      ctx.store,
      ctx.now,
      { tenant: tenantOf(res), keyId: p.key_id },
      req.params['run_id']!,
      body.ttl_seconds,
    );
    res.status(201).json(minted);
  });
}
