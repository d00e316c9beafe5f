import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DpEvent } from '@dpledger/accounting';
import { DPTrainer, type DPTrainerOptions, type ReservationClient } from '@dpledger/trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SEED = '00112233445566778899aabbccddeeff';

/** A fake accountant run that records what the trainer sends it: reserved events, committed steps, audits. */
function fakeRun() {
  const reserved: DpEvent[] = [];
  const audits: { canary_kind: string; scores: number[]; included: boolean[] }[] = [];
  let ids = 0;
  let committed = 0;
  let ledger: DpEvent | undefined;
  const client: ReservationClient = {
    async reserve(_runId, body) {
      reserved.push(body.event);
      return { id: `r${++ids}`, steps: body.steps, expires_at: new Date(Date.now() + 3_600_000).toISOString() };
    },
    async commit(_id, used) {
      committed += used;
      return { logged_steps: used };
    },
    async getRun() {
      return { status: 'open', event_count: committed, ...(ledger ? { ledger } : {}) };
    },
    async appendEvents() {
      return {};
    },
    async submitAudit(_runId, body) {
      audits.push(body);
      return {};
    },
  };
  return {
    reserved,
    audits,
    setLedger: (l: DpEvent) => (ledger = l),
    remote: { client, runId: 'run-1', reserveSteps: 2 },
  };
}

const data = () =>
  [
    tf.tidy(() => tf.sin(tf.range(0, 16 * 8).reshape([16, 8]))),
    tf
      .oneHot(
        tf.tensor1d(
          Array.from({ length: 16 }, (_, i) => i % 3),
          'int32',
        ),
        3,
      )
      .toFloat(),
  ] as const;
const model = () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [8], units: 3 })] });
const options = (m: tf.LayersModel, extra: Partial<DPTrainerOptions>): DPTrainerOptions => ({
  model: m,
  loss: 'categoricalCrossentropy',
  fromLogits: true,
  optimizer: { kind: 'sgd', learningRate: 0.1 },
  clipNorm: 1,
  noiseMultiplier: 2,
  expectedBatchSize: 4,
  datasetSize: 16,
  seed: SEED,
  ...extra,
});

describe('an audited remote run', () => {
  it('reserves the events of an unaudited run and submits the audit once, at close, not before', async () => {
    const [xs, ys] = data();
    const plain = fakeRun();
    const audited = fakeRun();
    const a = new DPTrainer(options(model(), { accountant: plain.remote }));
    const b = new DPTrainer(options(model(), { accountant: audited.remote, audit: { canaries: 12, kind: 'input' } }));
    await a.fit(xs, ys, { steps: 5 });
    await b.fit(xs, ys, { steps: 5 });
    expect(audited.reserved).toEqual(plain.reserved);
    expect(audited.audits).toHaveLength(0); // nothing of the canaries before close
    await a.close();
    await b.close();
    await b.close();
    expect(plain.audits).toHaveLength(0);
    expect(audited.audits).toHaveLength(1);
    expect(audited.audits[0]).toMatchObject({ canary_kind: 'input' });
    expect(audited.audits[0]!.scores).toHaveLength(12);
    tf.dispose([xs, ys]);
  });

  it('resumed with an audit, closes cleanly before its first step and audits only the steps it ran', async () => {
    const [xs, ys] = data();
    const run = fakeRun();
    const first = new DPTrainer(options(model(), { accountant: run.remote }));
    await first.fit(xs, ys, { steps: 3 });
    const dir = mkdtempSync(join(tmpdir(), 'audit-resume-'));
    await first.save(dir);
    run.setLedger(first.ledger);

    const idle = await DPTrainer.resume(dir, {
      model: model(),
      seed: SEED,
      accountant: run.remote,
      audit: { canaries: 12, kind: 'gradient' },
    });
    await idle.close(); // 3 steps in its ledger, none of them with these canaries: nothing to audit, nothing sent
    expect(run.audits).toHaveLength(0);

    const resumed = await DPTrainer.resume(dir, {
      model: model(),
      seed: SEED,
      accountant: run.remote,
      audit: { canaries: 12, kind: 'gradient' },
    });
    await resumed.fit(xs, ys, { steps: 2 });
    await resumed.close();
    expect(run.audits).toHaveLength(1);
    expect(run.audits[0]!.canary_kind).toBe('gradient');
    tf.dispose([xs, ys]);
  });
});
