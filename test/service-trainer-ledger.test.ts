/**
 * Issue 8 items 6 and 7 end to end: DPTrainer against a real in-process accountant (settable clock). Every
 * released step is in the run's ledger, expiry never releases the budget twice, overlapping steps are serialised,
 * a failed commit is retried, and a resumed checkpoint's steps reach the remote run (a fork is refused).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createApp, openSqliteStore, type SqliteStore } from '@dpledger/accountant';
import { RdpAccountant, type DpEvent } from '@dpledger/accounting';
import { verifyReport } from '@dpledger/audit';
import { createApiKey, createClient, type DpledgerClient } from '@dpledger/client';
import { DPTrainer, type DPTrainerOptions, type RemoteAccountant } from '@dpledger/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ADMIN = 'trainer-ledger-admin-token-0123';
const dir = mkdtempSync(join(tmpdir(), 'dpledger-trainer-ledger-'));
const clock = { now: new Date('2026-01-01T00:00:00.000Z') };
const advance = (seconds: number) => (clock.now = new Date(clock.now.getTime() + seconds * 1000));
let store: SqliteStore;
let server: ReturnType<Awaited<ReturnType<typeof createApp>>['listen']>;
let url: string;
let apiKey: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  store = openSqliteStore(join(dir, 'db.sqlite'));
  const app = await createApp({
    store,
    config: { adminToken: ADMIN, validateResponses: true },
    clock: () => clock.now,
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((ok) => server.once('listening', ok));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  apiKey = (await createApiKey(url, ADMIN, 'trainer')).api_key;
});
afterAll(async () => {
  await new Promise((ok) => server.close(ok));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const N = 32;
const xs = tf.tensor2d(
  Array.from({ length: N * 4 }, (_, i) => Math.sin(i * 0.37)),
  [N, 4],
);
const ys = tf
  .oneHot(
    tf.tensor1d(
      Array.from({ length: N }, (_, i) => i % 2),
      'int32',
    ),
    2,
  )
  .toFloat();
const model = () =>
  tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2, kernelInitializer: 'zeros' })] });
const options = (accountant: DPTrainerOptions['accountant'], m = model()): DPTrainerOptions => ({
  model: m,
  loss: 'categoricalCrossentropy',
  fromLogits: true,
  optimizer: { kind: 'sgd', learningRate: 0.1 },
  clipNorm: 1,
  noiseMultiplier: 1.1,
  expectedBatchSize: 4,
  datasetSize: N,
  accountant,
});
// step(x, y) is a caller-drawn batch: logged unamplified (issue 8 item 2), tagged with its relation
const STEP: DpEvent = { kind: 'gaussian', noise_multiplier: 1.1, neighboring_relation: 'add_or_remove_one' };
const epsilonOf = (steps: number) =>
  new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(STEP, steps).getEpsilon(1e-5);
const digest = { sha256: 'f'.repeat(64) };
const sampler = { kind: 'poisson', dataset_size: N, expected_batch_size: 4 } as const;

async function budgetWithRuns(
  epsilon: number,
  runs: number,
  c: DpledgerClient = createClient({ baseUrl: url, apiKey }),
) {
  const budget = await c.createBudget({ name: 'b', epsilon, delta: 1e-5 });
  const ids: string[] = [];
  for (let i = 0; i < runs; i++) ids.push((await c.createRun({ budget_id: budget.id, name: `r${i}`, sampler })).id);
  return { c, budget, runs: ids };
}
const remote = (c: DpledgerClient, runId: string, extra: Partial<RemoteAccountant> = {}): RemoteAccountant => ({
  client: c,
  runId,
  clock: () => clock.now.getTime(),
  ...extra,
});
const batch = () => [xs.slice(0, 4), ys.slice(0, 4)] as const;

describe('the trainer keeps every step in the remote ledger', () => {
  it('expiring reservations release at most a budget fitting 128 steps; each released step is logged', async () => {
    const limit = (epsilonOf(128) + epsilonOf(129)) / 2;
    const { c, budget, runs } = await budgetWithRuns(limit, 2);
    const a = new DPTrainer(options(remote(c, runs[0]!, { reserveSteps: 128, ttlSeconds: 60 })));
    const b = new DPTrainer(options(remote(c, runs[1]!, { reserveSteps: 128, ttlSeconds: 60 })));
    const [x, y] = batch();
    for (let i = 0; i < 10; i++) expect((await a.step(x, y)).applied).toBe(true);
    advance(2 * 3600); // trainer A stalls past its reservation's expiry (whatever TTL it asked for)
    for (let i = 0; i < 200 && (await b.step(x, y)).applied; i++);
    for (let i = 0; i < 200 && (await a.step(x, y)).applied; i++);
    await a.close();
    await b.close();
    const released = a.stepCount + b.stepCount;
    expect(released).toBeLessThanOrEqual(128);
    const logged = [(await c.getRun(runs[0]!)).event_count, (await c.getRun(runs[1]!)).event_count];
    expect(logged[0]).toBeGreaterThanOrEqual(a.stepCount);
    expect(logged[1]).toBeGreaterThanOrEqual(b.stepCount);
    expect(logged[0]! + logged[1]!).toBeLessThanOrEqual(128);
    const got = await c.getBudget(budget.id);
    expect(got.epsilon_spent).toBeLessThanOrEqual(limit);
    expect(got.overspent).toBeUndefined();
    // The trainer's local ledger mirrors what the service logged (the expired hold counted in full).
    expect(a.ledger).toEqual((await c.getRun(runs[0]!)).ledger);
  });

  it('two overlapping step() calls are serialised: both are logged, no reservation is orphaned', async () => {
    const { c, budget, runs } = await budgetWithRuns(10, 1);
    const t = new DPTrainer(options(remote(c, runs[0]!, { reserveSteps: 5 })));
    const [x, y] = batch();
    const results = await Promise.all([t.step(x, y), t.step(x, y)]);
    expect(results.map((r) => [r.applied, r.step])).toEqual([
      [true, 0],
      [true, 1],
    ]);
    await t.close();
    expect((await c.getRun(runs[0]!)).event_count).toBe(2);
    const got = await c.getBudget(budget.id);
    expect(got.epsilon_reserved).toBeCloseTo(got.epsilon_spent, 12); // nothing still held
    expect(got.epsilon_spent).toBeCloseTo(epsilonOf(2), 12);
  });

  it('a commit that fails is kept and retried by the next close(); its steps are never dropped', async () => {
    let failCommits = 1;
    const flaky = async (req: Request) => {
      if (req.url.endsWith('/commit') && failCommits-- > 0) throw new TypeError('connection reset');
      return fetch(req);
    };
    const { runs } = await budgetWithRuns(10, 1);
    const c = createClient({ baseUrl: url, apiKey, retries: 0, fetch: flaky });
    const t = new DPTrainer(options(remote(c, runs[0]!, { reserveSteps: 50 })));
    const [x, y] = batch();
    for (let i = 0; i < 3; i++) await t.step(x, y);
    await expect(t.close()).rejects.toMatchObject({ code: 'network_error' });
    await t.close();
    expect((await c.getRun(runs[0]!)).event_count).toBe(3);
  });

  it('resuming a 60-step checkpoint into a 10-step run appends the 50 missing; the report covers them', async () => {
    const { c, runs } = await budgetWithRuns(50, 1);
    const runId = runs[0]!;
    const first = new DPTrainer(options(remote(c, runId)));
    await first.fit(xs, ys, { steps: 10 });
    const c10 = join(dir, 'c10');
    await first.save(c10);
    const local = await DPTrainer.resume(c10, { model: model(), accountant: 'rdp' });
    await local.fit(xs, ys, { steps: 50 });
    const c60 = join(dir, 'c60');
    await local.save(c60);
    expect((await c.getRun(runId)).event_count).toBe(10);

    const resumed = await DPTrainer.resume(c60, { model: model(), accountant: remote(c, runId) });
    expect((await c.getRun(runId)).event_count).toBe(60);
    await resumed.fit(xs, ys, { steps: 5 });
    expect(resumed.stepCount).toBe(65);
    // An older checkpoint (or one resumed twice) would fork the run: refused, nothing written.
    await expect(DPTrainer.resume(c60, { model: model(), accountant: remote(c, runId) })).rejects.toMatchObject({
      code: 'ledger_mismatch',
    });
    await expect(DPTrainer.resume(c10, { model: model(), accountant: remote(c, runId) })).rejects.toMatchObject({
      code: 'ledger_mismatch',
    });
    expect((await c.getRun(runId)).event_count).toBe(65);

    await c.closeRun(runId, { model_digest: digest, dataset_digest: digest });
    const report = verifyReport(await c.getReport(runId), await c.listKeys());
    expect(report.predicate.event_count).toBe(65);
    expect(report.predicate.ledger).toEqual(resumed.ledger);
    expect(report.predicate.epsilon.rdp.epsilon).toBeCloseTo(resumed.epsilon(1e-5), 9);
  });
});
