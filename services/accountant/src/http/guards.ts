/**
 * Route guards: every /v1 route starts with exactly one of them, so who may call a route is part of the route's
 * own definition. A guard checks the caller first (401 before anything about the request shape is revealed),
 * then runs the request pipeline (UTF-8, JSON body, nesting and Unicode checks, OpenAPI validation), so no
 * handler sees an unvalidated request. `checkRoutes` (route-check.ts) holds each guard to openapi.yaml's security.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ServiceError } from '../errors.js';
import { principalOf } from './auth.js';

/**
 * Who may call a route (openapi.yaml: `security: []`, the `apiKey` scheme, the `adminToken` scheme, or `apiKey`
 * or `runToken`: 'run', a tenant key or a run-scoped token of the run the route names).
 */
export type Access = 'public' | 'tenant' | 'admin' | 'run';

/** A guard fits any route's parameter type, so handlers after it keep their typed `req.params`. */
export type Guard = <P>(req: Request<P>, res: Response, next: NextFunction) => void;

export interface Guards {
  requireAdmin: Guard;
  requireTenant: Guard;
  /** A tenant key, or a run token whose run is the route's `run_id` (a route without one checks `runScopeOf`). */
  requireRunToken: Guard;
  publicRoute: Guard;
}

const ACCESS = new WeakMap<object, Access>();

/** The access a guard's first handler enforces, or undefined for a handler that is no guard. */
export function accessOf(handler: unknown): Access | undefined {
  return typeof handler === 'function' ? ACCESS.get(handler) : undefined;
}

const REFUSAL: Record<Exclude<Access, 'public'>, string> = {
  admin: 'the admin token is required',
  tenant: 'a tenant API key is required',
  run: 'a tenant API key or a token of this run is required',
};

/** The run a run-token caller is limited to; undefined for any other caller. */
export function runScopeOf(res: Response): string | undefined {
  const p = principalOf(res);
  return p.kind === 'run' ? p.run_id : undefined;
}

function checkRun(req: Request, res: Response): void {
  const p = principalOf(res);
  if (p.kind === 'tenant') return;
  if (p.kind !== 'run') throw new ServiceError('unauthorized', REFUSAL.run);
  const runId = (req.params as Record<string, string | undefined>)['run_id'];
  if (runId !== undefined && runId !== p.run_id) throw new ServiceError('forbidden', 'this token is for another run');
  res.locals['tenant'] = p.tenant;
}

/** Runs `handlers` in order as one middleware (an error, thrown or passed to `next`, stops the chain). */
function chain(handlers: readonly RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined && err !== null) return next(err);
      const h = handlers[i++];
      if (h === undefined) return next();
      try {
        const out: unknown = h(req, res, step);
        if (out instanceof Promise) out.catch(next);
      } catch (e) {
        next(e);
      }
    };
    step();
  };
}

function guard(access: Access, pipeline: readonly RequestHandler[]): Guard {
  const check = (req: Request, res: Response, next: NextFunction): void => {
    if (access === 'run') checkRun(req, res);
    else if (access !== 'public' && principalOf(res).kind !== access)
      throw new ServiceError('unauthorized', REFUSAL[access]);
    next();
  };
  const fn = chain([check, ...pipeline]);
  ACCESS.set(fn, access);
  return fn as Guard;
}

/**
 * The four guards, each followed by the request pipeline.
 * @example r.post('/v1/api-keys', guards.requireAdmin, handler)
 */
export function createGuards(pipeline: readonly RequestHandler[]): Guards {
  return {
    requireAdmin: guard('admin', pipeline),
    requireTenant: guard('tenant', pipeline),
    requireRunToken: guard('run', pipeline),
    publicRoute: guard('public', pipeline),
  };
}
