import express from 'express';
import { describe, expect, it } from 'vitest';
import { createGuards } from './guards.js';
import { checkRoutes, specOperations } from './spec-routes.js';

const spec = {
  security: [{ apiKey: [] }],
  paths: {
    '/v1/things': { get: {}, post: { security: [{ adminToken: [] }] } },
    '/v1/things/{id}': { get: { security: [] } },
  },
};
const ops = specOperations(spec);
const g = createGuards([]);
const noop: express.RequestHandler = (_req, res) => void res.end();

describe('specOperations', () => {
  it('reads who may call each operation from its security, else the document’s', () => {
    expect(ops).toEqual([
      { path: '/v1/things', method: 'get', access: 'tenant' },
      { path: '/v1/things', method: 'post', access: 'admin' },
      { path: '/v1/things/{id}', method: 'get', access: 'public' },
    ]);
    expect(() =>
      specOperations({ paths: { '/x': { get: { security: [{ apiKey: [] }, { adminToken: [] }] } } } }),
    ).toThrow(/mixes schemes/);
    // a tenant key or a run-scoped token of the route's run
    expect(specOperations({ paths: { '/x': { post: { security: [{ apiKey: [] }, { runToken: [] }] } } } })).toEqual([
      { path: '/x', method: 'post', access: 'run' },
    ]);
    expect(() =>
      specOperations({ paths: { '/x': { get: { security: [{ adminToken: [] }, { runToken: [] }] } } } }),
    ).toThrow(/mixes schemes/);
  });
});

describe('checkRoutes', () => {
  const router = (build: (r: express.Router) => void) => {
    const r = express.Router();
    build(r);
    return r;
  };

  it('accepts routes guarded as the spec says', () => {
    expect(() =>
      checkRoutes(
        router((r) => {
          r.get('/v1/things', g.requireTenant, noop);
          r.post('/v1/things', g.requireAdmin, noop);
          r.get('/v1/things/:id', g.publicRoute, noop);
        }),
        ops,
        '/v1/',
      ),
    ).not.toThrow();
  });

  it('refuses an unguarded, wrongly guarded, missing or undocumented route and a bare middleware', () => {
    const all = (admin: express.RequestHandler) => (r: express.Router) => {
      r.get('/v1/things', g.requireTenant, noop);
      r.post('/v1/things', admin, noop);
      r.get('/v1/things/:id', g.publicRoute, noop);
    };
    expect(() => checkRoutes(router(all(noop)), ops, '/v1/')).toThrow(/guarded as nothing/);
    expect(() => checkRoutes(router(all(g.requireTenant)), ops, '/v1/')).toThrow(
      /guarded as tenant; openapi.yaml says admin/,
    );
    expect(() =>
      checkRoutes(
        router((r) => void r.get('/v1/things', g.requireTenant, noop)),
        ops,
        '/v1/',
      ),
    ).toThrow(/without a route/);
    expect(() =>
      checkRoutes(
        router((r) => {
          all(g.requireAdmin)(r);
          r.delete('/v1/things', g.requireAdmin, noop);
        }),
        ops,
        '/v1/',
      ),
    ).toThrow(/not in openapi.yaml/);
    expect(() =>
      checkRoutes(
        router((r) => {
          r.use(noop);
          all(g.requireAdmin)(r);
        }),
        ops,
        '/v1/',
      ),
    ).toThrow(/middleware/);
  });
});
