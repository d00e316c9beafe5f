/** Admin routes (API keys, key rotation) and the public key list. */
import type { Router } from 'express';
import { ServiceError } from '../errors.js';
import { newId, newSecret, sha256Hex } from '../ids.js';
import type { Ctx } from '../http/context.js';

export function adminRoutes(r: Router, ctx: Ctx): void {
  const { requireAdmin, publicRoute } = ctx.guards;

  r.post('/v1/api-keys', requireAdmin, async (req, res) => {
    const tenant = (req.body as { tenant: string }).tenant;
    const keyId = newId('key');
    const apiKey = `dpl_${newSecret()}`;
    await ctx.store.insertApiKey({
      key_id: keyId,
      tenant,
      hash: sha256Hex(apiKey),
      created_at: ctx.now().toISOString(),
    });
    ctx.logger.info({ tenant, key_id: keyId }, 'api key created');
    res.status(201).json({ tenant, key_id: keyId, api_key: apiKey });
  });

  r.get('/v1/api-keys', requireAdmin, async (_req, res) => {
    res.json({ api_keys: await ctx.store.listApiKeys() });
  });

  r.delete('/v1/api-keys/:key_id', requireAdmin, async (req, res) => {
    const keyId = req.params['key_id']!;
    const info = await ctx.store.revokeApiKey(keyId, ctx.now().toISOString());
    if (info === undefined) throw new ServiceError('not_found', `API key ${keyId} not found`);
    ctx.logger.info({ tenant: info.tenant, key_id: keyId }, 'api key revoked');
    res.json(info);
  });

  r.post('/v1/keys/rotate', requireAdmin, async (_req, res) => {
    const jwk = await ctx.keys.rotate(ctx.now);
    ctx.logger.info({ kid: jwk.kid }, 'signing key rotated');
    res.status(201).json(jwk);
  });

  r.get('/v1/keys', publicRoute, async (_req, res) => {
    await ctx.keys.refresh();
    res.json({ keys: ctx.keys.jwks() });
  });
}
