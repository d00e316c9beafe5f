import request from 'supertest';
import {
  buildComplianceModel,
  eventLogCommitment,
  renderReportHtml,
  verifyInclusion,
  verifyReport,
} from '@dpledger/audit';
import { PldAccountant } from '@dpledger/accounting';
import { describe, expect, it } from 'vitest';
import { ADMIN, append, auth, budgetAndRun, step, useTestApp } from './testing/test-deps.js';

const s = useTestApp();
const model = { sha256: '1'.repeat(64) };
const dataset = { sha256: '2'.repeat(64) };

async function closedRun(events: unknown[]) {
  const { budget, run } = await budgetAndRun(s.t, s.key);
  expect((await append(s.t, s.key, run.id, events)).status).toBe(200);
  const closed = await request(s.t.app)
    .post(`/v1/runs/${run.id}/close`)
    .set(auth(s.key))
    .send({ model_digest: model, dataset_digest: dataset });
  expect(closed.status).toBe(200);
  expect(closed.body).toMatchObject({
    status: 'closed',
    model_digest: model,
    dataset_digest: dataset,
    closed_at: '2026-01-01T00:00:00.000Z',
  });
  return { budget, run };
}

const keys = async () => (await request(s.t.app).get('/v1/keys')).body.keys;

describe('reports', () => {
  it('signs a verifiable report whose predicate states the run, budget, ledger, epsilon and Merkle root', async () => {
    const { budget, run } = await closedRun([step(), step(), step(), { kind: 'no_op' }]);
    const env = await request(s.t.app).get(`/v1/runs/${run.id}/report`).set(auth(s.key));
    expect(env.status).toBe(200);
    expect(env.body.payloadType).toBe('application/vnd.in-toto+json');
    const v = verifyReport(env.body, await keys());
    expect(v.statement.subject).toEqual([
      { name: 'model', digest: model },
      { name: 'dataset-manifest', digest: dataset },
    ]);
    const p = v.predicate;
    expect(p.run).toMatchObject({ id: run.id, name: 'run-1' });
    expect(p.budget).toEqual({ id: budget.id, name: 'mnist', epsilon: 1, delta: 1e-5, accountant: 'rdp' });
    expect(p.sampler).toEqual({ kind: 'poisson', dataset_size: 60000, expected_batch_size: 600 });
    expect(p.noise_rng).toBe('secure');
    expect(p.event_count).toBe(4);
    expect(p.ledger).toEqual({
      kind: 'composed',
      events: [{ kind: 'self_composed', count: 3, event: step() }, { kind: 'no_op' }],
    });
    const events = (await request(s.t.app).get(`/v1/runs/${run.id}/events`).set(auth(s.key))).body.events;
    expect(p.merkle_root).toEqual(eventLogCommitment(events));
    const runNow = (await request(s.t.app).get(`/v1/runs/${run.id}`).set(auth(s.key))).body;
    expect(p.epsilon.rdp.epsilon).toBe(runNow.epsilon_spent);
    expect(p.epsilon.rdp.order).toBeGreaterThan(1);
    const pld = new PldAccountant({ neighboringRelation: 'add_or_remove_one', valueDiscretizationInterval: 1e-4 })
      .compose(step() as never, 3)
      .getEpsilon(1e-5);
    expect(p.epsilon.pld).toEqual({ epsilon: pld, value_discretization_interval: 1e-4 });
    expect(p.service.name).toBe('dpledger-accountant');
    // Immutable: the same bytes on every read.
    expect((await request(s.t.app).get(`/v1/runs/${run.id}/report`).set(auth(s.key))).body).toEqual(env.body);
  });

  it('a run created with allow_large_delta says so in its signed report and its compliance checks', async () => {
    const budget = (
      await request(s.t.app).post('/v1/budgets').set(auth(s.key)).send({ name: 'tiny', epsilon: 5, delta: 1e-2 })
    ).body;
    const sampler = { kind: 'poisson', dataset_size: 100, expected_batch_size: 1 } as const;
    const run = (
      await request(s.t.app)
        .post('/v1/runs')
        .set(auth(s.key))
        .send({ budget_id: budget.id, name: 'forced', sampler, allow_large_delta: true })
    ).body;
    expect((await append(s.t, s.key, run.id, [step()])).status).toBe(200);
    expect(
      (
        await request(s.t.app)
          .post(`/v1/runs/${run.id}/close`)
          .set(auth(s.key))
          .send({ model_digest: model, dataset_digest: dataset })
      ).status,
    ).toBe(200);
    const env = (await request(s.t.app).get(`/v1/runs/${run.id}/report`).set(auth(s.key))).body;
    expect(verifyReport(env, await keys()).predicate.allow_large_delta).toBe(true);
    const checks = buildComplianceModel({ envelope: env, keys: await keys() }).checks;
    expect(checks.find((c) => /delta/.test(c.name))).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('explicit override (allow_large_delta)'),
    });
    expect(renderReportHtml({ envelope: env, keys: await keys() })).toContain(
      'explicit override (allow_large_delta) that accepted this delta',
    );
  });

  it('serves an RFC 9162 inclusion proof for every record against the report root', async () => {
    const { run } = await closedRun(Array.from({ length: 7 }, (_, i) => (i % 2 ? step() : { kind: 'no_op' })));
    const env = await request(s.t.app).get(`/v1/runs/${run.id}/report`).set(auth(s.key));
    const root = verifyReport(env.body, await keys()).predicate.merkle_root.root;
    for (let i = 0; i < 7; i++) {
      const proof = (await request(s.t.app).get(`/v1/runs/${run.id}/proof/${i}`).set(auth(s.key))).body;
      expect(proof).toMatchObject({ sequence: i, tree_size: 7, root });
      const hex = (h: string) => Buffer.from(h, 'hex');
      expect(verifyInclusion(hex(proof.leaf_hash), i, 7, proof.audit_path.map(hex), hex(root))).toBe(true);
      expect(verifyInclusion(hex(proof.leaf_hash), (i + 1) % 7, 7, proof.audit_path.map(hex), hex(root))).toBe(false);
    }
    expect((await request(s.t.app).get(`/v1/runs/${run.id}/proof/7`).set(auth(s.key))).status).toBe(404);
  });

  it('has no report or proof while the run is open (409 run_open), and closes only once', async () => {
    const { run } = await budgetAndRun(s.t, s.key);
    for (const path of [`/v1/runs/${run.id}/report`, `/v1/runs/${run.id}/proof/0`]) {
      const res = await request(s.t.app).get(path).set(auth(s.key));
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('run_open');
    }
    const body = { model_digest: model, dataset_digest: dataset };
    expect((await request(s.t.app).post(`/v1/runs/${run.id}/close`).set(auth(s.key)).send(body)).status).toBe(200);
    const again = await request(s.t.app).post(`/v1/runs/${run.id}/close`).set(auth(s.key)).send(body);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('run_closed');
  });

  it('rotates keys: new reports use the new key, old reports still verify with the published list', async () => {
    const a = await closedRun([step()]);
    const oldEnv = (await request(s.t.app).get(`/v1/runs/${a.run.id}/report`).set(auth(s.key))).body;
    const before = await keys();
    const rotated = await request(s.t.app).post('/v1/keys/rotate').set(auth(ADMIN));
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect((await request(s.t.app).post('/v1/keys/rotate').set(auth(s.key))).status).toBe(401);
    const after = await keys();
    expect(after[0].kid).toBe(rotated.body.kid);
    expect(after.length).toBe(before.length + 1);
    const b = await closedRun([step()]);
    const newEnv = (await request(s.t.app).get(`/v1/runs/${b.run.id}/report`).set(auth(s.key))).body;
    expect(verifyReport(newEnv, after).keyid).toBe(rotated.body.kid);
    expect(verifyReport(oldEnv, after).keyid).toBe(before[0].kid);
    expect(() => verifyReport(newEnv, before)).toThrow();
  });
});
