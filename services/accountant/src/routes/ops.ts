/** Liveness, readiness and Prometheus metrics. */
import type { Router } from 'express';
import type { Ctx } from '../http/context.js';

export function opsRoutes(r: Router, ctx: Ctx): void {
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version: ctx.config.version });
  });

  r.get('/readyz', async (_req, res) => {
    try {
      await ctx.store.ping();
      void ctx.keys.active;
      res.json({ status: 'ok', version: ctx.config.version, store: ctx.store.kind });
    } catch {
      res.status(503).setHeader('Retry-After', '1');
      res.type('application/problem+json').send(
        JSON.stringify({
          type: 'https://dpledger.dev/problems/not_ready',
          title: 'Service Unavailable',
          status: 503,
          code: 'not_ready',
          detail: 'the store does not answer',
        }),
      );
    }
  });

  r.get('/metrics', async (_req, res) => {
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
