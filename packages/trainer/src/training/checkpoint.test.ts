import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DPTrainer, type DPTrainerOptions } from '@dpledger/trainer';
import { RdpAccountant } from '@dpledger/accounting';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const model = (seed: number) =>
  tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [5], units: 4, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
const SEED = 'c0ffee00112233445566778899aabbccddeeff0123456789';
const weights = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
const xs = tf.tensor2d(Array.from({ length: 40 * 5 }, (_, i) => Math.cos(i * 0.7)), [40, 5]);
const ys = tf.oneHot(tf.tensor1d(Array.from({ length: 40 }, (_, i) => i % 3), 'int32'), 3).toFloat();

function options(m: tf.LayersModel, extra: Partial<DPTrainerOptions> = {}): DPTrainerOptions {
  return {
    model: m, loss: 'categoricalCrossentropy', fromLogits: true, optimizer: { kind: 'adam', learningRate: 0.05 }, clipNorm: 0.5,
    noiseMultiplier: 1.3, expectedBatchSize: 8, datasetSize: 40, seed: SEED, accountant: 'rdp', ...extra,
  };
}

describe('checkpoint and resume', () => {
  for (const extra of [{}, { sampler: 'shuffle' as const, optimizer: { kind: 'momentum' as const, learningRate: 0.1 } }, { clipNorm: undefined, adaptiveClipping: { initialClipNorm: 0.2, countNoiseMultiplier: 2 } }]) {
    it(`continues the same run and epsilon, never from zero (${JSON.stringify(extra)})`, async () => {
      const straight = new DPTrainer(options(model(1), extra));
      await straight.fit(xs, ys, { steps: 8 });

      const first = new DPTrainer(options(model(1), extra));
      await first.fit(xs, ys, { steps: 5 });
      const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
      const { weightsSha256 } = await first.save(dir);
      expect(weightsSha256).toMatch(/^[0-9a-f]{64}$/);

      await expect(DPTrainer.resume(dir, { model: model(99) })).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('seed') });
      const resumed = await DPTrainer.resume(dir, { model: model(99), seed: SEED });
      expect(resumed.stepCount).toBe(5);
      expect(weights(resumed.model)).toEqual(weights(first.model));
      expect(resumed.epsilon(1e-5)).toBe(first.epsilon(1e-5));
      expect(resumed.epsilon(1e-5)).toBeGreaterThan(0);
      expect(resumed.ledger).toEqual(first.ledger);
      expect(resumed.clipNorm).toBe(first.clipNorm);
      const saved = JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8'));
      // only the streams' positions: the noise stream as of its last consumed buffer
      expect(saved.rng).toEqual({ mode: 'seeded', position: first.internals.rng.position(), noisePosition: first.internals.noise!.position() });

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
    const key = createHash('sha256').update('dpledger seeded run v1\0').update(seedBytes).digest(); // the derived ChaCha20 key
    for (const f of readdirSync(dir)) {
      const raw = readFileSync(join(dir, f));
      for (const secret of [seedBytes, key]) {
        for (const form of [secret.toString('hex'), secret.toString('hex').toUpperCase(), secret.toString('base64'), JSON.stringify(Array.from(secret)).slice(1, -1)]) {
          expect(raw.includes(form), `${f} holds the ${secret === key ? 'key' : 'seed'} as ${form}`).toBe(false);
        }
        expect(raw.includes(secret), `${f} holds raw ${secret === key ? 'key' : 'seed'} bytes`).toBe(false);
      }
    }
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8')).settings)).not.toContain('seed');
    expect(Object.keys(t.options)).not.toContain('seed');
  });

  it('a secure checkpoint holds no stream state; each resume draws fresh noise', async () => {
    const secure = (m: tf.LayersModel) => options(m, { seed: undefined, optimizer: { kind: 'sgd', learningRate: 0.1 } });
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
    await expect(DPTrainer.resume(dir, { model: model(7), seed: SEED })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(DPTrainer.resume(dir, { model: model(7), secureMode: false })).rejects.toMatchObject({ code: 'invalid_argument' });
    await Promise.all([a.close(), b.close()]);
  });

  it('a format-1 checkpoint resumes if it was secure (its saved seed setting ignored) and is refused if it was seeded (xoshiro128**)', async () => {
    const t = new DPTrainer(options(model(1), { seed: undefined }));
    await t.fit(xs, ys, { steps: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    await t.save(dir);
    const file = JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8'));
    const v1 = { ...file, format: 'dpledger-checkpoint/1', settings: { ...file.settings, seed: 5, secureMode: true } };
    writeFileSync(join(dir, 'trainer.json'), JSON.stringify({ ...v1, rng: { mode: 'secure', state: null, noiseState: null } }));
    const resumed = await DPTrainer.resume(dir, { model: model(1) });
    expect([resumed.noiseRng, resumed.stepCount]).toEqual(['secure', 1]);
    writeFileSync(join(dir, 'trainer.json'), JSON.stringify({ ...v1, rng: { mode: 'seeded', state: [1, 2, 3, 4], noiseState: [5, 6, 7, 8] } }));
    await expect(DPTrainer.resume(dir, { model: model(1), seed: SEED })).rejects.toMatchObject({ code: 'bad_input', message: expect.stringContaining('xoshiro') });
    await Promise.all([t.close(), resumed.close()]);
  });

  it('refuses a checkpoint that does not fit the model, and a custom accountant not passed again', async () => {
    const t = new DPTrainer(options(model(1), { accountant: new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }) }));
    await t.fit(xs, ys, { steps: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    await t.save(dir);
    await expect(DPTrainer.resume(dir, { model: model(1), seed: SEED })).rejects.toMatchObject({ code: 'invalid_argument' });
    const other = tf.sequential({ layers: [tf.layers.dense({ inputShape: [5], units: 3 })] });
    await expect(DPTrainer.resume(dir, { model: other, seed: SEED, accountant: new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }) })).rejects.toMatchObject({ code: 'bad_input' });
    const file = JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8'));
    writeFileSync(join(dir, 'trainer.json'), JSON.stringify({ ...file, format: 'x' }));
    await expect(DPTrainer.resume(dir, { model: model(1), seed: SEED, accountant: new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }) })).rejects.toMatchObject({ code: 'bad_input' });
  });
});
