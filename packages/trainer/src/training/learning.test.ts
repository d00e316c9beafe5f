import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DPTrainer, accuracy, loadIdx, toTensors } from '@dpledger/trainer';

const SAMPLE = new URL('../../fixtures/fashion-mnist-sample', import.meta.url).pathname;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('DPTrainer learns', () => {
  it('lifts Fashion-MNIST sample accuracy well above chance under DP-SGD (Poisson, sigma 0.8)', async () => {
    const train = toTensors(await loadIdx(SAMPLE, { split: 'train' }), { layout: 'flat' });
    const test = toTensors(await loadIdx(SAMPLE, { split: 'test' }), { layout: 'flat' });
    const init = (seed: number) => tf.initializers.glorotUniform({ seed });
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [784], units: 32, activation: 'tanh', kernelInitializer: init(1) }),
        tf.layers.dense({ units: 10, kernelInitializer: init(2) }),
      ],
    });
    const before = await accuracy(model, test.xs, test.ys);
    const t = new DPTrainer({
      model,
      loss: 'categoricalCrossentropy',
      fromLogits: true,
      optimizer: { kind: 'momentum', learningRate: 0.5, momentum: 0.5 },
      clipNorm: 1,
      noiseMultiplier: 0.8,
      expectedBatchSize: 200,
      datasetSize: 2000,
      seed: '0707070707070707070707070707070707070707',
    });
    const h = await t.fit(train.xs, train.ys, { epochs: 3, validationData: [test.xs, test.ys] });
    expect(h.steps).toBe(30);
    expect(before).toBeLessThan(0.3);
    expect(h.valAccuracy.at(-1)).toBeGreaterThan(0.6);
    expect(t.epsilon(1e-5)).toBeLessThan(10);
  });
});
