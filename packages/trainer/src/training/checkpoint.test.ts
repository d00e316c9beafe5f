import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DPTrainer, type DPTrainerOptions, type TrainerSnapshot } from '@dpledger/trainer';
import { RdpAccountant } from '@dpledger/accounting';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const model = (seed: number) =>
  tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [5],
        units: 4,
        activation: 'tanh',
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
      }),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
const SEED = 'c0ffee00112233445566778899aabbccddeeff0123456789';
const weights = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
const xs = tf.tensor2d(
  Array.from({ length: 40 * 5 }, (_, i) => Math.cos(i * 0.7)),
  [40, 5],
);
const ys = tf
  .oneHot(
    tf.tensor1d(
      Array.from({ length: 40 }, (_, i) => i % 3),
      'int32',
    ),
    3,
  )
  .toFloat();

function options(m: tf.LayersModel, extra: Partial<DPTrainerOptions> = {}): DPTrainerOptions {
  return {
    model: m,
    loss: 'categoricalCrossentropy',
    fromLogits: true,
    optimizer: { kind: 'adam', learningRate: 0.05 },
    clipNorm: 0.5,
    noiseMultiplier: 1.3,
    expectedBatchSize: 8,
    datasetSize: 40,
    seed: SEED,
    accountant: 'rdp',
    ...extra,
  };
}

describe('checkpoint and resume', () => {
  for (const extra of [
    {},
    { sampler: 'shuffle' as const, optimizer: { kind: 'momentum' as const, learningRate: 0.1 } },
    { clipNorm: undefined, adaptiveClipping: { initialClipNorm: 0.2, countNoiseMultiplier: 2 } },
  ]) {
    it(`continues the same run and epsilon, never from zero (${JSON.stringify(extra)})`, async () => {
      const straight = new DPTrainer(options(model(1), extra));
      await straight.fit(xs, ys, { steps: 8 });

      const first = new DPTrainer(options(model(1), extra));
      await first.fit(xs, ys, { steps: 5 });
      const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
      const { weightsSha256 } = await first.save(dir);
      expect(weightsSha256).toMatch(/^[0-9a-f]{64}$/);

      await expect(DPTrainer.resume(dir, { model: model(99) })).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringContaining('seed'),
      });
      const resumed = await DPTrainer.resume(dir, { model: model(99), seed: SEED });
      expect(resumed.stepCount).toBe(5);
      expect(weights(resumed.model)).toEqual(weights(first.model));
      expect(resumed.epsilon(1e-5)).toBe(first.epsilon(1e-5));
      expect(resumed.epsilon(1e-5)).toBeGreaterThan(0);
      expect(resumed.ledger).toEqual(first.ledger);
      expect(resumed.clipNorm).toBe(first.clipNorm);
      const saved = JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8'));
      // only the streams' positions: the noise stream as of its last consumed buffer
      expect(saved.rng).toEqual({
        mode: 'seeded',
        position: first.internals.rng.position(),
        noisePosition: first.internals.noise!.position(),
      });

      await resumed.fit(xs, ys, { steps: 3 });
      expect(resumed.stepCount).toBe(8);
      const a = weights(resumed.model).flat();
      const b = weights(straight.model).flat();
      a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
      expect(resumed.ledger).toEqual(straight.ledger);
      expect(resumed.epsilon(1e-5)).toBeCloseTo(straight.epsilon(1e-5), 12);
    });
  }

  it('a seeded checkpoint holds no seed and no key, in any file or form', async () => {
    const t = new DPTrainer(options(model(1)));
    await t.fit(xs, ys, { steps: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    await t.save(dir);
    const seedBytes = Buffer.from(SEED, 'hex');
    // the derived ChaCha20 key
    const key = createHash('sha256').update('dpledger seeded run v1\0').update(seedBytes).digest();
    for (const f of readdirSync(dir)) {
      const raw = readFileSync(join(dir, f));
      for (const secret of [seedBytes, key]) {
        for (const form of [
          secret.toString('hex'),
          secret.toString('hex').toUpperCase(),
          secret.toString('base64'),
          JSON.stringify(Array.from(secret)).slice(1, -1),
        ]) {
          expect(raw.includes(form), `${f} holds the ${secret === key ? 'key' : 'seed'} as ${form}`).toBe(false);
        }
        expect(raw.includes(secret), `${f} holds raw ${secret === key ? 'key' : 'seed'} bytes`).toBe(false);
      }
    }
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8')).settings)).not.toContain('seed');
    expect(Object.keys(t.options)).not.toContain('seed');
  });

  it('a secure checkpoint holds no stream state; each resume draws fresh noise', async () => {
    const secure = (m: tf.LayersModel) =>
      options(m, { seed: undefined, optimizer: { kind: 'sgd', learningRate: 0.1 } });
    const t = new DPTrainer(secure(model(1)));
    await t.fit(xs, ys, { steps: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    await t.save(dir);
    const file = JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8'));
    expect(file.rng).toEqual({ mode: 'secure' });
    expect(JSON.stringify(file)).not.toMatch(/state"|position"|noise(State|Position)/i);
    const [a, b] = [await DPTrainer.resume(dir, { model: model(5) }), await DPTrainer.resume(dir, { model: model(6) })];
    expect(weights(a.model)).toEqual(weights(b.model));
    expect(a.noiseRng).toBe('secure');
    await a.fit(xs, ys, { steps: 1 });
    await b.fit(xs, ys, { steps: 1 });
    expect(weights(a.model).flat()).not.toEqual(weights(b.model).flat()); // same checkpoint, different noise
    await expect(DPTrainer.resume(dir, { model: model(7), seed: SEED })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(DPTrainer.resume(dir, { model: model(7), secureMode: false })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await Promise.all([a.close(), b.close()]);
  });

  it('format-1 checkpoint resumes if secure (seed setting ignored), is refused if seeded (xoshiro128**)', async () => {
    const t = new DPTrainer(options(model(1), { seed: undefined }));
    await t.fit(xs, ys, { steps: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    await t.save(dir);
    const file = JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8'));
    const v1 = { ...file, format: 'dpledger-checkpoint/1', settings: { ...file.settings, seed: 5, secureMode: true } };
    writeFileSync(
      join(dir, 'trainer.json'),
      JSON.stringify({ ...v1, rng: { mode: 'secure', state: null, noiseState: null } }),
    );
    const resumed = await DPTrainer.resume(dir, { model: model(1) });
    expect([resumed.noiseRng, resumed.stepCount]).toEqual(['secure', 1]);
    writeFileSync(
      join(dir, 'trainer.json'),
      JSON.stringify({ ...v1, rng: { mode: 'seeded', state: [1, 2, 3, 4], noiseState: [5, 6, 7, 8] } }),
    );
    await expect(DPTrainer.resume(dir, { model: model(1), seed: SEED })).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringContaining('xoshiro'),
    });
    await Promise.all([t.close(), resumed.close()]);
  });

  it('refuses a checkpoint that does not fit the model, and a custom accountant not passed again', async () => {
    const t = new DPTrainer(
      options(model(1), { accountant: new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }) }),
    );
    await t.fit(xs, ys, { steps: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    await t.save(dir);
    await expect(DPTrainer.resume(dir, { model: model(1), seed: SEED })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    const other = tf.sequential({ layers: [tf.layers.dense({ inputShape: [5], units: 3 })] });
    await expect(
      DPTrainer.resume(dir, {
        model: other,
        seed: SEED,
        accountant: new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }),
      }),
    ).rejects.toMatchObject({ code: 'bad_input' });
    const file = JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8'));
    writeFileSync(join(dir, 'trainer.json'), JSON.stringify({ ...file, format: 'x' }));
    await expect(
      DPTrainer.resume(dir, {
        model: model(1),
        seed: SEED,
        accountant: new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }),
      }),
    ).rejects.toMatchObject({ code: 'bad_input' });
  });
});

/** Every way a secret could sit in a snapshot: hex (either case), base64, or its bytes as a JSON number list. */
function secretForms(secret: Buffer): string[] {
  return [
    secret.toString('hex'),
    secret.toString('hex').toUpperCase(),
    secret.toString('base64'),
    JSON.stringify(Array.from(secret)).slice(1, -1),
  ];
}
const plain = (s: TrainerSnapshot) =>
  JSON.stringify(s, (_k, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v));

describe('snapshot and restore', () => {
  const configs: [string, Partial<DPTrainerOptions>][] = [
    ['fixed clip, Adam', {}],
    [
      'shuffle, momentum',
      { sampler: 'shuffle', neighboringRelation: 'replace_one', optimizer: { kind: 'momentum', learningRate: 0.1 } },
    ],
    ['adaptive clipping', { clipNorm: undefined, adaptiveClipping: { initialClipNorm: 0.2, countNoiseMultiplier: 2 } }],
    ['discrete Gaussian', { noise: 'discrete_gaussian', optimizer: { kind: 'sgd', learningRate: 0.2 } }],
  ];
  for (const [name, extra] of configs) {
    it(`snapshot -> restore -> training continues the uninterrupted seeded run exactly (${name})`, async () => {
      const straight = new DPTrainer(options(model(1), extra));
      const whole = await straight.fit(xs, ys, { steps: 7 });

      const first = new DPTrainer(options(model(1), extra));
      const before = await first.fit(xs, ys, { steps: 4 });
      const snap = await first.snapshot();
      expect(snap.stepCount).toBe(4);
      const next = new DPTrainer(options(model(42), extra));
      await next.restore(snap);
      expect([next.stepCount, next.clipNorm, next.epsilon(1e-5)]).toEqual([4, first.clipNorm, first.epsilon(1e-5)]);
      expect(weights(next.model)).toEqual(weights(first.model));
      const after = await next.fit(xs, ys, { steps: 3 });

      expect(next.stepCount).toBe(7);
      expect(weights(next.model)).toEqual(weights(straight.model)); // bit for bit: the same batches and noise
      expect(next.ledger).toEqual(straight.ledger);
      expect(next.epsilon(1e-5)).toBe(straight.epsilon(1e-5));
      expect(next.clipNorm).toBe(straight.clipNorm);
      expect([...before.private.batchSizes, ...after.private.batchSizes]).toEqual(whole.private.batchSizes);
      await Promise.all([straight.close(), first.close(), next.close()]);
    });
  }

  it('a snapshot is a plain object without a seed, a key or any stream state beyond positions', async () => {
    const t = new DPTrainer(options(model(1), { optimizer: { kind: 'sgd', learningRate: 0.1 } }));
    await t.fit(xs, ys, { steps: 2 });
    const snap = await t.snapshot();
    expect(Object.keys(snap).sort()).toEqual([
      'clipNorm',
      'ledger',
      'optimizer',
      'rng',
      'sampler',
      'settings',
      'stepCount',
      'weights',
    ]);
    expect(snap.rng).toEqual({
      mode: 'seeded',
      position: t.internals.rng.position(),
      noisePosition: t.internals.noise!.position(),
    });
    expect(structuredClone(snap)).toEqual(snap); // plain data: no class instances, functions or tensors
    const seedBytes = Buffer.from(SEED, 'hex');
    const key = createHash('sha256').update('dpledger seeded run v1\0').update(seedBytes).digest();
    const text = plain(snap);
    for (const secret of [seedBytes, key])
      for (const form of secretForms(secret)) expect(text.includes(form), form).toBe(false);
    expect(Object.keys(snap.settings)).not.toContain('seed');

    const secure = new DPTrainer(options(model(1), { seed: undefined }));
    await secure.fit(xs, ys, { steps: 1 });
    const s2 = await secure.snapshot();
    expect(s2.rng).toEqual({ mode: 'secure' });
    expect(plain(s2)).not.toMatch(/state"|position"|noise(State|Position)/i);
    await Promise.all([t.close(), secure.close()]);
  });

  it('restore refuses a used trainer, wrong randomness, an ill-fitting model/optimizer; changes nothing', async () => {
    const t = new DPTrainer(options(model(1)));
    await t.fit(xs, ys, { steps: 2 });
    const snap = await t.snapshot();
    const used = new DPTrainer(options(model(1)));
    await used.step(xs.slice(0, 4), ys.slice(0, 4));
    await expect(used.restore(snap)).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('fresh'),
    });
    const secure = new DPTrainer(options(model(1), { seed: undefined }));
    await expect(secure.restore(snap)).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('seed'),
    });
    const secureSnap = await secure.snapshot();
    await expect(new DPTrainer(options(model(1))).restore(secureSnap)).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    const other = new DPTrainer(options(tf.sequential({ layers: [tf.layers.dense({ inputShape: [5], units: 3 })] })));
    await expect(other.restore(snap)).rejects.toMatchObject({ code: 'bad_input' });
    const sgd = new DPTrainer(options(model(3), { optimizer: { kind: 'sgd', learningRate: 0.1 } }));
    const w = weights(sgd.model);
    await expect(sgd.restore(snap)).rejects.toMatchObject({ code: 'bad_input' });
    expect([weights(sgd.model), sgd.stepCount, sgd.epsilon(1e-5)]).toEqual([w, 0, 0]); // nothing changed
    await sgd.restore({ ...snap, optimizer: { kind: 'sgd', iterations: 2, slots: [] } }); // and it is still fresh
    expect(sgd.stepCount).toBe(2);
    await expect(sgd.restore(snap)).rejects.toMatchObject({ code: 'invalid_argument' }); // only once
    await Promise.all([t.close(), used.close(), secure.close()]);
  });

  const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/checkpoint-v2');
  const fixtureRuns: [string, Partial<DPTrainerOptions>][] = [
    ['gaussian-adam', {}],
    [
      'adaptive-momentum',
      {
        clipNorm: undefined,
        adaptiveClipping: { initialClipNorm: 0.2, countNoiseMultiplier: 2 },
        optimizer: { kind: 'momentum', learningRate: 0.1 },
      },
    ],
  ];
  for (const [name] of fixtureRuns) {
    it(`a pre-snapshot() checkpoint resumes and continues its run (${name}, fixtures/checkpoint-v2)`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ckpt-v2-'));
      cpSync(join(FIXTURES, name), dir, { recursive: true });
      const want = JSON.parse(readFileSync(join(dir, 'continued.json'), 'utf8')) as {
        weights: number[][];
        clipNorm: number;
        ledger: unknown;
        epsilonAt1e5: number;
        privateLoss: number[];
        batchSizes: number[];
      };
      const t = await DPTrainer.resume(dir, { model: model(77), seed: SEED, privateLoss: true });
      expect(t.stepCount).toBe(5);
      const h = await t.fit(xs, ys, { steps: 3 });
      expect(h.private.batchSizes).toEqual(want.batchSizes);
      h.private.loss.forEach((l, i) => expect(l).toBeCloseTo(want.privateLoss[i]!, 5));
      expect(t.ledger).toEqual(want.ledger);
      expect(t.epsilon(1e-5)).toBeCloseTo(want.epsilonAt1e5, 12);
      expect(t.clipNorm).toBeCloseTo(want.clipNorm, 6);
      t.model
        .getWeights()
        .forEach((w, i) => Array.from(w.dataSync()).forEach((v, j) => expect(v).toBeCloseTo(want.weights[i]![j]!, 5)));
      // saved again by today's code: the same format, the same fields
      const again = mkdtempSync(join(tmpdir(), 'ckpt-v2-again-'));
      await t.save(again);
      const [old, now] = [join(dir, 'trainer.json'), join(again, 'trainer.json')].map(
        (f) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>,
      );
      expect(Object.keys(now!).sort()).toEqual(Object.keys(old!).sort());
      expect(now!['format']).toBe('dpledger-checkpoint/2');
    });
  }
});
