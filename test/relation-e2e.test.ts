/**
 * Trainer -> client -> in-process accountant: every step is priced under the relation of the budget it enters (issue 8
 * items 3, 5).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { startAccountant, type RunningAccountant } from '@dpledger/accountant';
import { buildComplianceModel } from '@dpledger/audit';
import { createApiKey, createClient } from '@dpledger/client';
import { DPTrainer } from '@dpledger/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'dpledger-relation-'));
let svc: RunningAccountant;
let apiKey: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  svc = await startAccountant({
    port: 0,
    dataDir: dir,
    adminToken: 'relation-test-admin-token-0123',
    logLevel: 'silent',
  });
  apiKey = (await createApiKey(svc.url, svc.adminToken, 'relation')).api_key;
});
afterAll(async () => {
  await svc.close();
  rmSync(dir, { recursive: true, force: true });
});

const n = 39;
const b = 20;
const xs = () => tf.randomUniform([n, 4], -1, 1, 'float32', 5);
const ys = () => tf.oneHot(tf.randomUniform([n], 0, 2, 'int32', 6), 2).toFloat();

function trainer(extra: Record<string, unknown>) {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }),
    ],
  });
  return new DPTrainer({
    model,
    loss: 'categoricalCrossentropy',
    fromLogits: true,
    optimizer: { kind: 'sgd', learningRate: 0.1 },
    clipNorm: 1,
    noiseMultiplier: 2,
    expectedBatchSize: b,
    datasetSize: n,
    ...extra,
  });
}

async function budgetAndRun(relation: 'add_or_remove_one' | 'replace_one', sampler: 'poisson' | 'shuffle') {
  const c = createClient({ baseUrl: svc.url, apiKey });
  const budget = await c.createBudget({
    name: `b-${relation}`,
    epsilon: 50,
    delta: 1e-5,
    neighboring_relation: relation,
  });
  const run = await c.createRun({
    budget_id: budget.id,
    name: 'r',
    sampler: { kind: sampler, dataset_size: n, expected_batch_size: b },
    noise_rng: 'secure',
  });
  return { c, budget, run };
}

describe('relation end to end', () => {
  it('shuffled, replace_one: logs replace_one Gaussians; signed report says so, passes sampler check', async () => {
    const { c, run } = await budgetAndRun('replace_one', 'shuffle');
    const relation = (await c.getBudget((await c.getRun(run.id)).budget_id)).neighboring_relation;
    const t = trainer({ sampler: 'shuffle', accountant: { client: c, runId: run.id, neighboringRelation: relation } });
    await t.fit(xs(), ys(), { steps: 2 });
    await t.close();
    const digest = { sha256: 'a'.repeat(64) };
    await c.closeRun(run.id, { model_digest: digest, dataset_digest: digest });
    const envelope = await c.getReport(run.id);
    const model = buildComplianceModel({ envelope: envelope as never, keys: await c.listKeys() });
    expect(model.predicate.neighboring_relation).toBe('replace_one');
    expect(model.predicate.ledger).toEqual({
      kind: 'composed',
      events: [
        {
          kind: 'self_composed',
          count: 2,
          event: { kind: 'gaussian', noise_multiplier: 1, neighboring_relation: 'replace_one' },
        },
      ],
    });
    expect(model.checks.find((x) => /sampler/.test(x.name))?.status).toBe('pass');
    expect(model.predicate.epsilon.rdp.epsilon).toBeCloseTo(t.epsilon(1e-5), 9);
  });

  it('an add_or_remove_one budget refuses a replace_one discrete Gaussian step and stores nothing', async () => {
    const { c, run } = await budgetAndRun('add_or_remove_one', 'poisson');
    const t = trainer({
      noise: 'discrete_gaussian',
      accountant: { client: c, runId: run.id, neighboringRelation: 'replace_one' },
    });
    await expect(t.fit(xs(), ys(), { steps: 1 })).rejects.toMatchObject({ code: 'unsupported_event' });
    expect((await c.getRun(run.id)).event_count).toBe(0);
    // priced for the budget's own relation it is accepted
    const ok = trainer({
      noise: 'discrete_gaussian',
      accountant: { client: c, runId: run.id, neighboringRelation: 'add_or_remove_one' },
    });
    await ok.fit(xs(), ys(), { steps: 1 });
    await ok.close();
    expect((await c.getRun(run.id)).event_count).toBe(1);
  });
});
