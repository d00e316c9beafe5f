/** Request ids, one structured log line per request (pino; no headers, bodies or tokens), and metrics. */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { sideEffect, type ServiceMetrics } from './metrics.js';

const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Middleware: assigns `res.locals.reqId` (from a sane X-Request-Id or random), echoes it, logs and counts.
 * @example app.use(observe(logger, metrics))
 */
export function observe(logger: Logger, metrics: ServiceMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.headers['x-request-id'];
    const reqId = typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
    res.locals['reqId'] = reqId;
    res.setHeader('X-Request-Id', reqId);
    const start = process.hrtime.bigint();
    res.on('finish', () =>
      // A throw in a 'finish' listener would crash the process; the answer is already sent.
      sideEffect(logger, () => {
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const route = (req.route?.path as string | undefined) ? `${req.baseUrl}${req.route.path}` : 'unmatched';
        metrics.requests.inc({ method: req.method, route, status: String(res.statusCode) });
        metrics.latency.observe({ method: req.method, route }, seconds);
        const code = res.locals['problemCode'] as string | undefined;
        if (code !== undefined && res.statusCode < 500) metrics.refusals.inc({ code });
        logger.info(
          {
            req_id: reqId,
            method: req.method,
            route,
            status: res.statusCode,
            ms: Math.round(seconds * 1e4) / 10,
            tenant: res.locals['tenant'],
            code,
          },
          'request',
        );
      }),
    );
    next();
  };
}
