/** The operations of openapi.yaml as (path, method, access): the one source for guards, 405s and route tests. */
import type { NextFunction, Request, Response, Router } from 'express';
import { ServiceError } from '../errors.js';
import { accessOf, type Access } from './guards.js';

export interface SpecOperation {
  /** The spec's path template, e.g. '/v1/runs/{run_id}'. */
  path: string;
  /** Lower case, e.g. 'post'. */
  method: string;
  access: Access;
}

type Security = Record<string, unknown>[] | undefined;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/**
 * Access of an operation from its `security` (or the document's): none, the admin token, a tenant key, or a tenant
 * key or run token.
 */
function accessFrom(security: Security): Access {
  if (security === undefined || security.length === 0) return 'public';
  const schemes = security.flatMap((s) => Object.keys(s));
  if (schemes.length === 0) return 'public';
  if (schemes.every((s) => s === 'adminToken')) return 'admin';
  if (schemes.every((s) => s === 'apiKey')) return 'tenant';
  // a tenant key or a run-scoped token of the route's run (docs/design.md "Tokens")
  if (schemes.length === 2 && schemes.includes('apiKey') && schemes.includes('runToken')) return 'run';
  // internal assertion on the checked-in spec (fails at boot and in tests, never on a request)
  const schemesText = JSON.stringify(security);
  throw new Error(`openapi.yaml: security ${schemesText} mixes schemes; a route has exactly one kind of caller`);
}

/**
 * Every operation of the spec with who may call it.
 * @example specOperations(spec).find((o) => o.path === '/v1/api-keys' && o.method === 'post') // access 'admin'
 */
export function specOperations(apiSpec: Record<string, unknown>): SpecOperation[] {
  const root = apiSpec['security'] as Security;
  const paths = (apiSpec['paths'] ?? {}) as Record<string, Record<string, { security?: Security }>>;
  return Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m] !== undefined).map((method) => ({
      path,
      method,
      access: accessFrom(item[method]!.security ?? root),
    })),
  );
}

/** A case-sensitive, exact matcher of a spec path template ('{x}' is one non-empty segment). */
function matcher(template: string): RegExp {
  const literal = (part: string) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const src = template.split(/(\{[^}]+\})/).map((part) => (part.startsWith('{') ? '[^/]+' : literal(part)));
  return new RegExp(`^${src.join('')}$`);
}

/**
 * The last handler before the error handler: 405 with `Allow` for a spec path with a method it lacks, else 404.
 * Both are problem+json, inside /v1 and outside it.
 * @example app.use(notFound(specOperations(spec)))
 */
export function notFound(operations: readonly SpecOperation[]) {
  const byPath = new Map<string, { re: RegExp; methods: string[] }>();
  for (const op of operations) {
    const entry = byPath.get(op.path) ?? { re: matcher(op.path), methods: [] };
    entry.methods.push(op.method.toUpperCase());
    byPath.set(op.path, entry);
  }
  return (req: Request, res: Response, _next: NextFunction): void => {
    const path = req.path;
    for (const { re, methods } of byPath.values()) {
      if (!re.test(path)) continue;
      const allow = methods.includes('GET') && !methods.includes('HEAD') ? [...methods, 'HEAD'] : methods;
      res.setHeader('Allow', allow.join(', '));
      throw new ServiceError('method_not_allowed', `${req.method} is not allowed here; allowed: ${allow.join(', ')}`);
    }
    throw new ServiceError('not_found', 'no such resource');
  };
}

/** `/v1/runs/:run_id` as the spec writes it (`/v1/runs/{run_id}`). */
const toTemplate = (expressPath: string) => expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean>; stack: { handle: unknown }[] };
}

/**
 * Boot check: every route of `router` starts with the guard that the spec's security asks for, and every spec
 * operation under `prefix` has a route. Throws at boot on a mismatch, so no route ships unguarded.
 * @example checkRoutes(v1, specOperations(spec), '/v1/')
 */
export function checkRoutes(router: Router, operations: readonly SpecOperation[], prefix: string): void {
  const mine = operations.filter((o) => o.path.startsWith(prefix));
  const wanted = new Map(mine.map((o) => [`${o.method} ${o.path}`, o.access]));
  for (const layer of (router as unknown as { stack: RouteLayer[] }).stack) {
    // internal assertions: the route table matches the checked-in spec (fails at boot and in tests, never on a request)
    if (layer.route === undefined) {
      throw new Error(`a middleware is mounted on the ${prefix} router; put it in the route guards`);
    }
    const path = toTemplate(layer.route.path);
    const access = accessOf(layer.route.stack[0]?.handle);
    for (const method of Object.keys(layer.route.methods).filter((m) => layer.route!.methods[m])) {
      const key = `${method} ${path}`;
      if (!wanted.has(key)) throw new Error(`route ${key} is not in openapi.yaml`);
      if (access !== wanted.get(key)) {
        throw new Error(`route ${key} is guarded as ${access ?? 'nothing'}; openapi.yaml says ${wanted.get(key)}`);
      }
      wanted.delete(key);
    }
  }
  if (wanted.size > 0) throw new Error(`openapi.yaml operations without a route: ${[...wanted.keys()].join(', ')}`);
}
