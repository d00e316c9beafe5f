// Device-to-host reads of a DP step and of everything fit calls: never synchronous (webgpu in Node has no
// synchronous read), and one small read per step (the private loss sum and the adaptive-clipping count).
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
  const model = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [5], units: 4, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
    tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
  ] });
  const xs = tf.randomUniform([40, 5], -1, 1, 'float32', 3);
  const ys = tf.oneHot(tf.randomUniform([40], 0, 3, 'int32', 4), 3).toFloat();
  const trainer = new DPTrainer({
    model, loss: 'categoricalCrossentropy', fromLogits: true, optimizer: { kind: 'sgd', learningRate: 0.1 }, clipNorm: 1,
    noiseMultiplier: 1, expectedBatchSize: 10, datasetSize: 40, seed: '000102030405060708090a0b0c0d0e0f',
    maxPhysicalBatchSize: 3, ...extra,
  });
  return { model, xs, ys, trainer };
}

describe('reads of a DP step', () => {
  it('fit reads once per step, whatever the number of physical chunks, and never synchronously', async () => {
    const { xs, ys, trainer } = setup();
    const reads = countReads();
    const h = await trainer.fit(xs, ys, { steps: 5 });
    expect(h.steps).toBe(5);
    expect(h.private.batchSizes.some((b) => b > 3)).toBe(true); // several chunks in some step
    expect(reads.readSync).not.toHaveBeenCalled();
    expect(reads.read).toHaveBeenCalledTimes(5);
  });

  it('adaptive clipping adds no read', async () => {
    const { xs, ys, trainer } = setup({ clipNorm: undefined, adaptiveClipping: { initialClipNorm: 1, targetQuantile: 0.5, countNoiseMultiplier: 5 } });
    const reads = countReads();
    await trainer.fit(xs, ys, { steps: 4 });
    expect(reads.readSync).not.toHaveBeenCalled();
    expect(reads.read).toHaveBeenCalledTimes(4);
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
