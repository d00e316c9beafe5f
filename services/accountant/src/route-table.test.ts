/**
 * Every route of openapi.yaml, with every case and trailing-slash variant of its path, with each credential.
 * The expected status comes from the spec: its `security` says who gets past the guard (the others get 401),
 * its documented responses say what the guard lets through, and a variant of a path is no path (404).
 */
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SPEC_PATH } from './app.js';
import { specOperations, type SpecOperation } from './http/spec-routes.js';
import { ADMIN, auth, budgetAndRun, dbBytes, step, useTestApp } from './testing/test-deps.js';

const s = useTestApp();
const spec = parseYaml(readFileSync(DEFAULT_SPEC_PATH, 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
};
const operations = specOperations(spec as unknown as Record<string, unknown>);

type Credential = 'none' | 'garbage' | 'other tenant' | 'tenant' | 'admin' | 'run token';
const CREDENTIALS: Credential[] = ['none', 'garbage', 'other tenant', 'tenant', 'admin', 'run token'];

/** Whether the spec lets a credential past an operation's guard (the run token is of the run the paths name). */
const admitted = (op: SpecOperation, c: Credential) =>
  op.access === 'public' ||
  (op.access === 'admin'
    ? c === 'admin'
    : c === 'tenant' || c === 'other tenant' || (op.access === 'run' && c === 'run token'));

/** Case variants of a concrete path: each static segment upper-cased in turn (so '/V1/...'), and a trailing slash. */
function variants(template: string, concrete: string): string[] {
  const t = template.split('/');
  const c = concrete.split('/');
  const out = new Set<string>();
  t.forEach((seg, i) => {
    if (seg === '' || seg.startsWith('{')) return;
    for (const v of [seg.toUpperCase(), seg[0]!.toUpperCase() + seg.slice(1)])
      if (v !== seg) out.add(c.map((x, j) => (j === i ? v : x)).join('/'));
  });
  out.add(`${concrete}/`);
  return [...out];
}

async function send(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const r = (request(s.t.app) as unknown as Record<string, (p: string) => request.Test>)[method]!(path).set(headers);
  return body === undefined ? r : r.send(body as object);
}

describe('route table from openapi.yaml', () => {
  it('lets exactly the spec’s callers past each guard, and answers 404 for every case or slash variant', async () => {
    const { budget, run } = await budgetAndRun(s.t, s.key, { epsilon: 10 });
    const reservation = await request(s.t.app)
      .post(`/v1/runs/${run.id}/reservations`)
      .set(auth(s.key))
      .send({ steps: 2, event: step() });
    expect(reservation.status).toBe(201);
    const other = await s.fresh('other');
    const spare = await request(s.t.app).post('/v1/api-keys').set(auth(ADMIN)).send({ tenant: 'spare' });
    const runToken = await request(s.t.app).post(`/v1/runs/${run.id}/tokens`).set(auth(s.key)).send({});
    expect(runToken.status).toBe(201);
    const params: Record<string, string> = {
      budget_id: budget.id,
      run_id: run.id,
      reservation_id: reservation.body.id,
      sequence: '0',
      key_id: spare.body.key_id,
    };
    const headers: Record<Credential, Record<string, string>> = {
      none: {},
      garbage: auth('dpl_garbage'),
      'other tenant': auth(other),
      tenant: auth(s.key),
      admin: auth(ADMIN),
      'run token': auth(runToken.body.token),
    };
    const concrete = (template: string) => template.replace(/\{([a-z_]+)\}/g, (_, name: string) => params[name]!);

    // Variants first: none of them may reach a handler, so none may write.
    const before = dbBytes(s.t);
    let count = 0;
    for (const op of operations) {
      for (const path of variants(op.path, concrete(op.path))) {
        for (const c of CREDENTIALS) {
          const res = await send(
            op.method,
            path,
            headers[c],
            op.method === 'post' ? { used: -1000000, tenant: 'mallory', steps: 1, event: step() } : undefined,
          );
          count++;
          expect(res.status, `${c} ${op.method} ${path}`).toBe(404);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(res.body.code).toBe('not_found');
        }
      }
    }
    expect(dbBytes(s.t).equals(before)).toBe(true);

    // Canonical paths, with an empty body: the guard's verdict, then only documented answers.
    for (const op of operations) {
      const documented = Object.keys(spec.paths[op.path]![op.method]!.responses).map(Number);
      for (const c of CREDENTIALS) {
        const res = await send(op.method, concrete(op.path), headers[c], op.method === 'post' ? {} : undefined);
        count++;
        const where = `${c} ${op.method} ${op.path}`;
        if (admitted(op, c)) {
          expect(res.status, where).not.toBe(401);
          expect(documented, `${where}: ${res.status} ${JSON.stringify(res.body)}`).toContain(res.status);
          if (c === 'other tenant' && op.method === 'get' && /\{(budget|run|reservation)_id\}/.test(op.path))
            expect(res.status, where).toBe(404);
        } else {
          expect(res.status, where).toBe(401);
          expect(documented, where).toContain(401);
          expect(res.body.code).toBe('unauthorized');
        }
      }
    }
    expect(count).toBeGreaterThan(300);
  }, 120_000);

  it('answers 405 with an Allow header from the spec for a known path and a wrong method', async () => {
    const byPath = new Map<string, string[]>();
    for (const op of operations) byPath.set(op.path, [...(byPath.get(op.path) ?? []), op.method.toUpperCase()]);
    for (const [template, methods] of byPath) {
      const path = template.replace(/\{[a-z_]+\}/g, 'x1');
      for (const method of ['put', 'delete', 'patch', 'post', 'get'].filter(
        (m) => !methods.includes(m.toUpperCase()),
      )) {
        const res = await send(method, path, auth(s.key));
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.body.code).toBe('method_not_allowed');
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        const allow = (res.headers['allow'] as string).split(', ');
        expect(allow.filter((m) => m !== 'HEAD').sort()).toEqual([...methods].sort());
      }
    }
  });

  it('answers 404 problem+json outside /v1 too', async () => {
    for (const path of ['/nope', '/v1', '/v2/budgets', '/HEALTHZ', '/healthz/', '/runs']) {
      const res = await request(s.t.app).get(path);
      expect(res.status, path).toBe(404);
      expect(res.headers['content-type'], path).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('not_found');
    }
  });
});
