/**
 * Route guards: every /v1 route starts with exactly one of them, so who may call a route is part of the route's
 * own definition. A guard checks the caller first (401 before anything about the request shape is revealed),
 * then runs the request pipeline (UTF-8, JSON body, nesting and Unicode checks, OpenAPI validation), so no
 * handler sees an unvalidated request. `checkRoutes` (route-check.ts) holds each guard to openapi.yaml's security.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ServiceError } from '../errors.js';
import { principalOf } from './auth.js';

/** Who may call a route (openapi.yaml: `security: []`, the `apiKey` scheme, the `adminToken` scheme). */
export type Access = 'public' | 'tenant' | 'admin';

/** A guard fits any route's parameter type, so handlers after it keep their typed `req.params`. */
export type Guard = <P>(req: Request<P>, res: Response, next: NextFunction) => void;

export interface Guards {
  requireAdmin: Guard;
  requireTenant: Guard;
  publicRoute: Guard;
}

const ACCESS = new WeakMap<object, Access>();

/** The access a guard's first handler enforces, or undefined for a handler that is no guard. */
export function accessOf(handler: unknown): Access | undefined {
  return typeof handler === 'function' ? ACCESS.get(handler) : undefined;
}

const REFUSAL: Record<Exclude<Access, 'public'>, string> = { admin: 'the admin token is required', tenant: 'a tenant API key is required' };

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
  const check = (_req: Request, res: Response, next: NextFunction): void => {
    if (access !== 'public' && principalOf(res).kind !== access) throw new ServiceError('unauthorized', REFUSAL[access]);
    next();
  };
  const fn = chain([check, ...pipeline]);
  ACCESS.set(fn, access);
  return fn as Guard;
}

/**
 * The three guards, each followed by the request pipeline.
 * @example r.post('/v1/api-keys', guards.requireAdmin, handler)
 */
export function createGuards(pipeline: readonly RequestHandler[]): Guards {
  return { requireAdmin: guard('admin', pipeline), requireTenant: guard('tenant', pipeline), publicRoute: guard('public', pipeline) };
}
