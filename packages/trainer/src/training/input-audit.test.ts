import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DPTrainer, type DPTrainerOptions } from '@dpledger/trainer';
import { auditFromScores, type OneRunMethod } from '@dpledger/audit';
import { faults, resetFaults } from './faults.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(resetFaults);

/** A fixed seed per run index: seeded runs make the audit outcome reproducible in CI. */
const seedOf = (i: number) => (i + 101).toString(16).padStart(32, '0');
const CLASSES = 10;

/** n records of a fixed pattern in `d` features, labelled round-robin over 10 classes. */
function records(n: number, d: number): [tf.Tensor, tf.Tensor] {
  const xs = tf.tidy(() =>
    tf.sin(
      tf
        .range(0, n * d)
        .reshape([n, d])
        .mul(0.37),
    ),
  );
  const ys = tf
    .oneHot(
      tf.tensor1d(
        Array.from({ length: n }, (_, i) => i % CLASSES),
        'int32',
      ),
      CLASSES,
    )
    .toFloat();
  return [xs, ys];
}

/**
 * One audited run with input canaries, in the high-signal black-box setting: a linear softmax model on 1,024 features
 * (so the canaries' N(0, 1) inputs are nearly orthogonal), 10 records, q = 1 (every record and every included canary
 * joins every step), 10 steps, 500 canaries. sigma = 6 claims epsilon 2.3 at delta 1e-5 (RDP).
 */
async function inputAuditedRun(seed: string) {
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [1024], units: CLASSES, kernelInitializer: 'zeros' })],
  });
  const [xs, ys] = records(10, 1024);
  const t = new DPTrainer({
    model,
    loss: 'categoricalCrossentropy',
    fromLogits: true,
    optimizer: { kind: 'sgd', learningRate: 0.05 },
    clipNorm: 1,
    noiseMultiplier: 6,
    expectedBatchSize: 10,
    datasetSize: 10,
    seed,
    accountant: 'rdp',
    audit: { canaries: 500, kind: 'input' },
  });
  const h = await t.fit(xs, ys, { steps: 10 });
  const sub = (await t.auditSubmission())!;
  const epsilon = t.epsilon(1e-5);
  await t.close();
  tf.dispose([xs, ys]);
  model.dispose();
  const inScores = sub.scores.filter((_, i) => sub.included[i]);
  const outScores = sub.scores.filter((_, i) => !sub.included[i]);
  const lower = (method: OneRunMethod) =>
    auditFromScores({ inScores, outScores, significance: 0.05, delta: 1e-5, method }).epsilonLower;
  return { epsilon, sub, h, steinke: lower('steinke2023'), fdp: lower('mahloujifar2024') };
}

describe('one-run audit with input canaries (black-box)', () => {
  it('a correct trainer passes: epsilon_lower <= epsilon on seeded runs, by both analyses', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await inputAuditedRun(seedOf(i));
      expect(r.epsilon).toBeGreaterThan(2);
      expect(r.epsilon).toBeLessThan(2.6);
      expect(r.sub.canary_kind).toBe('input');
      expect(r.sub.scores).toHaveLength(500);
      expect(r.sub.scores.every(Number.isFinite)).toBe(true);
      expect(r.steinke).toBeLessThanOrEqual(r.epsilon);
      expect(r.fdp).toBeLessThanOrEqual(r.epsilon);
      const inCount = r.sub.included.filter(Boolean).length;
      expect(inCount).toBeGreaterThan(200);
      expect(inCount).toBeLessThan(300);
      // the canaries stay out of the private figures: with q = 1 every batch holds exactly the 10 records
      expect(r.h.private.batchSizes).toEqual(Array(10).fill(10));
    }
  });

  it('catches a trainer whose noise is 10x too small', async () => {
    faults.noiseScale = 0.1;
    const r = await inputAuditedRun(seedOf(0));
    expect(r.steinke).toBeGreaterThan(r.epsilon);
    expect(r.fdp).toBeGreaterThan(r.epsilon);
  });

  it('catches a trainer that does not clip', async () => {
    faults.clipping = false;
    const r = await inputAuditedRun(seedOf(0));
    expect(r.steinke).toBeGreaterThan(r.epsilon);
    expect(r.fdp).toBeGreaterThan(r.epsilon);
  });

  it('refuses an unknown kind, too few or too many canaries, and losses without classes', () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3 })] });
    const base: DPTrainerOptions = {
      model,
      loss: 'categoricalCrossentropy',
      optimizer: { kind: 'sgd', learningRate: 1 },
      clipNorm: 1,
      noiseMultiplier: 1,
      expectedBatchSize: 2,
      datasetSize: 10,
    };
    const bad =
      (audit: unknown, extra: Partial<DPTrainerOptions> = {}) =>
      () =>
        new DPTrainer({ ...base, ...extra, audit: audit as DPTrainerOptions['audit'] });
    expect(bad({ canaries: 10, kind: 'membership' })).toThrow(
      /audit.kind 'membership' is not supported; use 'gradient' or 'input'/,
    );
    expect(bad({ canaries: 1, kind: 'input' })).toThrow(/canaries must be an integer >= 2/);
    expect(bad({ canaries: 100_001, kind: 'input' })).toThrow(/exceeds 100000, the most the accountant takes/);
    expect(bad({ canaries: 100_001, kind: 'gradient' })).toThrow(/exceeds 100000, the most the accountant takes/);
    const wide = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1000], units: 3 })] });
    expect(bad({ canaries: 50_000, kind: 'input' }, { model: wide, datasetSize: 100_000 })).toThrow(
      /too large for inputs of 1000 values: at most 33554/,
    );
    wide.dispose();
    expect(bad({ canaries: 10, kind: 'input' }, { loss: 'meanSquaredError' })).toThrow(/classification loss/);
    const ok = new DPTrainer({ ...base, audit: { canaries: 10, kind: 'input' } });
    expect(ok.options.audit).toEqual({ canaries: 10, kind: 'input' });
    model.dispose();
  });
});

describe('an audited run releases nothing of its canaries before close', () => {
  const options = (model: tf.LayersModel, audit?: DPTrainerOptions['audit']): DPTrainerOptions => ({
    model,
    loss: 'categoricalCrossentropy',
    fromLogits: true,
    optimizer: { kind: 'sgd', learningRate: 0.1 },
    clipNorm: 1,
    noiseMultiplier: 2,
    expectedBatchSize: 4,
    datasetSize: 16,
    seed: seedOf(9),
    accountant: 'rdp',
    ...(audit ? { audit } : {}),
  });

  for (const kind of ['gradient', 'input'] as const) {
    it(`${kind} canaries: the ledger is an unaudited run's, and save() is refused with nothing written`, async () => {
      const [xs, ys] = records(16, 8);
      const make = () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [8], units: CLASSES })] });
      const plain = new DPTrainer(options(make()));
      const audited = new DPTrainer(options(make(), { canaries: 20, kind }));
      await plain.fit(xs, ys, { steps: 3 });
      await audited.fit(xs, ys, { steps: 3 });
      expect(audited.ledger).toEqual(plain.ledger);
      expect(audited.currentEvent()).toEqual(plain.currentEvent());
      expect(audited.epsilon(1e-5)).toBe(plain.epsilon(1e-5));

      const dir = join(mkdtempSync(join(tmpdir(), 'audited-ckpt-')), 'ckpt');
      await expect(audited.save(dir)).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringContaining('cannot be checkpointed'),
      });
      expect(existsSync(dir)).toBe(false);
      // the run goes on and still audits after the refused save
      await audited.fit(xs, ys, { steps: 1 });
      expect((await audited.auditSubmission())!.canary_kind).toBe(kind);
      await Promise.all([plain.close(), audited.close()]);
      tf.dispose([xs, ys]);
    });
  }
});
