/** Run-scoped tokens: a tenant key mints one for an open run (a token never mints tokens). */
import type { Router } from 'express';
import type { components } from '@dpledger/accounting/openapi';
import { principalOf } from '../http/auth.js';
import { tenantOf, type Ctx } from '../http/context.js';
import { mintRunToken } from '../run-tokens.js';

export function runTokenRoutes(r: Router, ctx: Ctx): void {
  r.post('/v1/runs/:run_id/tokens', ctx.guards.requireTenant, async (req, res) => {
    const body = (req.body ?? {}) as components['schemas']['RunTokenCreate'];
    const p = principalOf(res);
    // requireTenant let only a tenant key through; the token dies with that key.
    const keyId = p.kind === 'tenant' ? p.key_id : undefined;
    const minted = await mintRunToken(ctx.store, ctx.now, { tenant: tenantOf(res), keyId }, req.params['run_id']!, body.ttl_seconds);
    res.status(201).json(minted);
  });
}
