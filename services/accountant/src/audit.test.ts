import Database from 'better-sqlite3';
import request from 'supertest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildComplianceModel, oneRunEpsilonLowerBound, verifyReport } from '@dpledger/audit';
import { describe, expect, it } from 'vitest';
import { SCHEMA_SQL, SCHEMA_VERSION } from './store/sqlite-schema.js';
import { openSqliteStore } from './store/sqlite-store.js';
import { append, auth, budgetAndRun, dbBytes, step, useTestApp } from './testing/test-deps.js';

const s = useTestApp();
const digests = { model_digest: { sha256: '1'.repeat(64) }, dataset_digest: { sha256: '2'.repeat(64) } };

/** m canaries: alternate in/out; the first `leak` included ones score high (what a broken trainer would show). */
function canaries(m: number, leak: number) {
  const included = Array.from({ length: m }, (_, i) => i % 2 === 0);
  let leaked = 0;
  const scores = included.map((inc, i) => (inc && leaked++ < leak ? 100 + i : (i * 7919) % 101) / 1);
  return { scores, included };
}

describe('one-run audit', () => {
  it('the accountant computes the bound itself and signs it into the report, whose audit check passes', async () => {
    const { run } = await budgetAndRun(s.t, s.key, { epsilon: 10 });
    expect((await append(s.t, s.key, run.id, Array(50).fill(step(0.01, 0.8)))).status).toBe(200);
    const c = canaries(1000, 40);
    const res = await request(s.t.app)
      .post(`/v1/runs/${run.id}/audit`)
      .set(auth(s.key))
      .send({ canary_kind: 'gradient', ...c });
    expect(res.status).toBe(201);
    const a = res.body;
    expect(a).toMatchObject({
      method: 'steinke2023',
      selection: 'bonferroni',
      canary_kind: 'gradient',
      canaries: 1000,
      k_minus: 0,
      significance: 0.05,
      confidence: 0.95,
      delta: 1e-5,
    });
    expect(a.epsilon_lower).toBe(
      oneRunEpsilonLowerBound({
        canaries: 1000,
        guesses: a.guesses,
        correct: a.correct,
        significance: a.test_significance,
        delta: 1e-5,
        method: 'steinke2023',
      }),
    );
    expect(a.epsilon_lower).toBeGreaterThan(0);
    expect((await request(s.t.app).post(`/v1/runs/${run.id}/close`).set(auth(s.key)).send(digests)).status).toBe(200);
    const env = (await request(s.t.app).get(`/v1/runs/${run.id}/report`).set(auth(s.key))).body;
    const keys = (await request(s.t.app).get('/v1/keys')).body.keys;
    expect(verifyReport(env, keys).predicate.audit).toEqual(a);
    const check = buildComplianceModel({ envelope: env, keys }).checks.find((x) => /Empirical audit/.test(x.name))!;
    expect(check.status).toBe('pass');
    const shown = (await request(s.t.app).get(`/v1/runs/${run.id}`).set(auth(s.key))).body;
    expect(shown.audit).toEqual(a);
    expect(JSON.stringify(shown)).not.toContain('included');
  });

  it('a report whose canaries beat the claimed epsilon fails its audit check', async () => {
    const { run } = await budgetAndRun(s.t, s.key, { epsilon: 10 });
    expect((await append(s.t, s.key, run.id, [step(0.01, 5)])).status).toBe(200); // tiny epsilon
    const res = await request(s.t.app)
      .post(`/v1/runs/${run.id}/audit`)
      .set(auth(s.key))
      .send({ canary_kind: 'gradient', ...canaries(1000, 500) });
    expect(res.status).toBe(201);
    await request(s.t.app).post(`/v1/runs/${run.id}/close`).set(auth(s.key)).send(digests);
    const env = (await request(s.t.app).get(`/v1/runs/${run.id}/report`).set(auth(s.key))).body;
    const keys = (await request(s.t.app).get('/v1/keys')).body.keys;
    const check = buildComplianceModel({ envelope: env, keys }).checks.find((x) => /Empirical audit/.test(x.name))!;
    expect(check.status).toBe('fail');
  });

  it('refuses a 2nd audit, closed run, length mismatch, one-sided inclusion, other tenant; no write', async () => {
    const { run } = await budgetAndRun(s.t, s.key);
    const post = (key: string, body: object, id = run.id) =>
      request(s.t.app).post(`/v1/runs/${id}/audit`).set(auth(key)).send(body);
    const stranger = await s.fresh('other');
    const before = dbBytes(s.t);
    expect((await post(s.key, { canary_kind: 'gradient', scores: [1, 2, 3], included: [true, false] })).body.code).toBe(
      'validation_failed',
    );
    expect((await post(s.key, { canary_kind: 'gradient', scores: [1, 2], included: [true, true] })).body.code).toBe(
      'validation_failed',
    );
    expect(
      (await post(s.key, { canary_kind: 'gradient', scores: [1, 2], included: [true, false], significance: 0.9 }))
        .status,
    ).toBe(400);
    expect((await post(s.key, { canary_kind: 'hidden', scores: [1, 2], included: [true, false] })).status).toBe(400);
    expect((await post(stranger, { canary_kind: 'gradient', scores: [1, 2], included: [true, false] })).status).toBe(
      404,
    );
    expect(dbBytes(s.t).equals(before)).toBe(true);
    expect((await post(s.key, { canary_kind: 'gradient', scores: [1, 2], included: [true, false] })).status).toBe(201);
    const second = await post(s.key, { canary_kind: 'gradient', scores: [1, 2], included: [true, false] });
    expect([second.status, second.body.code]).toEqual([409, 'conflict']);
    await request(s.t.app).post(`/v1/runs/${run.id}/close`).set(auth(s.key)).send(digests);
    const { run: other } = await budgetAndRun(s.t, s.key);
    await request(s.t.app).post(`/v1/runs/${other.id}/close`).set(auth(s.key)).send(digests);
    expect(
      (await post(s.key, { canary_kind: 'gradient', scores: [1, 2], included: [true, false] }, other.id)).body.code,
    ).toBe('run_closed');
  });
});

describe('schema migrations', () => {
  it('a version-1 database gains the audit column and table when opened, keeping its rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpledger-migrate-'));
    const file = join(dir, 'old.sqlite');
    const old = new Database(file);
    old.exec(SCHEMA_SQL);
    old.pragma('user_version = 1');
    old.prepare("INSERT INTO api_keys (key_id, tenant, hash, created_at) VALUES ('k', 't', 'h', 'now')").run();
    old.close();
    const store = openSqliteStore(file);
    expect(await store.tenantForKeyHash('h')).toBe('t');
    await store.close();
    const db = new Database(file, { readonly: true });
    expect((db.prepare('PRAGMA table_info(runs)').all() as { name: string }[]).map((c) => c.name)).toContain('audit');
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'audit_inputs'").get()).toBeDefined();
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
