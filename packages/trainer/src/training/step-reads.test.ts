// Device-to-host reads of a DP step and of everything fit calls (issue 12): never synchronous (webgpu in Node has no
// synchronous read); none at all in a step with the default options; at most one per step with the options that need
// one (the private loss sum, adaptive clipping's count, the discrete Gaussian's sums), all in that one read.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DPTrainer, accuracy, perSampleGradNorms } from '@dpledger/trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => vi.restoreAllMocks());

/** Counts the engine's reads (every tensor.data() / dataSync() passes through one of them). */
function countReads() {
  const engine = tf.engine();
  return { read: vi.spyOn(engine, 'read'), readSync: vi.spyOn(engine, 'readSync') };
}

function setup(extra: Record<string, unknown> = {}) {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [5],
        units: 4,
        activation: 'tanh',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  const xs = tf.randomUniform([40, 5], -1, 1, 'float32', 3);
  const ys = tf.oneHot(tf.randomUniform([40], 0, 3, 'int32', 4), 3).toFloat();
  const trainer = new DPTrainer({
    model,
    loss: 'categoricalCrossentropy',
    fromLogits: true,
    optimizer: { kind: 'sgd', learningRate: 0.1 },
    clipNorm: 1,
    noiseMultiplier: 1,
    expectedBatchSize: 10,
    datasetSize: 40,
    seed: '000102030405060708090a0b0c0d0e0f',
    maxPhysicalBatchSize: 3,
    ...extra,
  });
  return { model, xs, ys, trainer };
}

describe('reads of a DP step', () => {
  it('fit with default options reads nothing back from the device, for any number of physical chunks', async () => {
    const { xs, ys, trainer } = setup();
    const reads = countReads();
    const h = await trainer.fit(xs, ys, { steps: 5 });
    expect(h.steps).toBe(5);
    expect(h.private.batchSizes.some((b) => b > 3)).toBe(true); // several chunks in some step
    expect(reads.readSync).not.toHaveBeenCalled();
    expect(reads.read).not.toHaveBeenCalled();
    expect(h.private.loss.every(Number.isNaN)).toBe(true); // not asked for: never computed
    const one = await trainer.step(xs.slice(0, 7), ys.slice(0, 7));
    expect([one.applied, one.private.batchSize, one.private.loss]).toEqual([true, 7, NaN]);
    expect(reads.read).not.toHaveBeenCalled();
  });

  it('the asked-for private loss is one read per step, and it is the mean loss of the batch', async () => {
    const { xs, ys, trainer, model } = setup({ privateLoss: true });
    const reads = countReads();
    const h = await trainer.fit(xs, ys, { steps: 5 });
    expect(reads.readSync).not.toHaveBeenCalled();
    expect(reads.read).toHaveBeenCalledTimes(5);
    expect(h.private.loss.every((l, i) => (h.private.batchSizes[i] === 0 ? Number.isNaN(l) : l > 0))).toBe(true);
    vi.restoreAllMocks();
    // the same figure as the model's own loss on the batch (before its update)
    const x = xs.slice(0, 6);
    const y = ys.slice(0, 6);
    const want = tf.tidy(() => tf.losses.softmaxCrossEntropy(y, model.predict(x) as tf.Tensor).dataSync()[0]!);
    const r = await trainer.step(x, y);
    expect(r.private.loss).toBeCloseTo(want, 5);
  });

  it('adaptive clipping reads its count once per step, and the asked-for loss rides in the same read', async () => {
    const adaptive = {
      clipNorm: undefined,
      adaptiveClipping: { initialClipNorm: 1, targetQuantile: 0.5, countNoiseMultiplier: 5 },
    };
    for (const privateLoss of [false, true]) {
      const { xs, ys, trainer } = setup({ ...adaptive, privateLoss });
      const reads = countReads();
      const h = await trainer.fit(xs, ys, { steps: 4 });
      expect(reads.readSync).not.toHaveBeenCalled();
      expect(reads.read).toHaveBeenCalledTimes(4);
      expect(h.private.loss.some((l) => !Number.isNaN(l))).toBe(privateLoss);
      expect(trainer.clipNorm).not.toBe(1); // C moved by the count it read
      vi.restoreAllMocks();
    }
  });

  it('discrete Gaussian noise reads the sums once per step, the asked-for loss in the same read', async () => {
    for (const privateLoss of [false, true]) {
      const { xs, ys, trainer } = setup({ noise: 'discrete_gaussian', privateLoss });
      const reads = countReads();
      const h = await trainer.fit(xs, ys, { steps: 3 });
      expect(reads.readSync).not.toHaveBeenCalled();
      expect(reads.read).toHaveBeenCalledTimes(3);
      expect(h.private.loss.some((l) => !Number.isNaN(l))).toBe(privateLoss);
      vi.restoreAllMocks();
    }
  });

  it('validation accuracy, discrete Gaussian noise and per-sample norms read asynchronously', async () => {
    const { xs, ys, trainer, model } = setup({ noise: 'discrete_gaussian' });
    const reads = countReads();
    const h = await trainer.fit(xs, ys, { steps: 2, validationData: [xs, ys] });
    expect(h.valAccuracy).toHaveLength(1);
    await accuracy(model, xs, ys);
    await perSampleGradNorms(model, xs, ys, { loss: 'categoricalCrossentropy', fromLogits: true });
    expect(reads.readSync).not.toHaveBeenCalled();
  });

  it('a checkpoint is saved with asynchronous reads only', async () => {
    const { xs, ys, trainer } = setup({ optimizer: { kind: 'adam', learningRate: 0.01 } });
    await trainer.fit(xs, ys, { steps: 1 });
    const dir = await mkdtemp(join(tmpdir(), 'dpledger-reads-'));
    const reads = countReads();
    await trainer.save(dir);
    expect(reads.readSync).not.toHaveBeenCalled();
    await rm(dir, { recursive: true, force: true });
  });
});
