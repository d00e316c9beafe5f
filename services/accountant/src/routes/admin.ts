/** Admin routes (API keys, key rotation) and the public key list. */
import type { Router } from 'express';
import { newId, newSecret, sha256Hex } from '../ids.js';
import type { Ctx } from '../http/context.js';

export function adminRoutes(r: Router, ctx: Ctx): void {
  r.post('/v1/api-keys', async (req, res) => {
    const tenant = (req.body as { tenant: string }).tenant;
    const keyId = newId('key');
    const apiKey = `dpl_${newSecret()}`;
    await ctx.store.insertApiKey({ key_id: keyId, tenant, hash: sha256Hex(apiKey), created_at: ctx.now().toISOString() });
    ctx.logger.info({ tenant, key_id: keyId }, 'api key created');
    res.status(201).json({ tenant, key_id: keyId, api_key: apiKey });
  });

  r.post('/v1/keys/rotate', async (_req, res) => {
    const jwk = await ctx.keys.rotate(ctx.now);
    ctx.logger.info({ kid: jwk.kid }, 'signing key rotated');
    res.status(201).json(jwk);
  });

  r.get('/v1/keys', async (_req, res) => {
    await ctx.keys.refresh();
    res.json({ keys: ctx.keys.jwks() });
  });
}
