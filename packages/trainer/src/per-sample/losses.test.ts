import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainerError, perExampleLoss, perSampleGradNorms } from './index.js';
import { maxNormErr, referenceGrads, relErr } from './reference-loop.fixture.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const logits = tf.tensor2d([
  [1.5, -0.3, 0.2],
  [-2, 0.5, 3],
  [0.1, 0.1, -0.4],
  [4, -4, 0],
]);
const probs = tf.softmax(logits);
const labels = tf.tensor1d([0, 2, 1, 0], 'int32');
const oneHot = tf.oneHot(labels, 3).toFloat();
const bits = tf.tensor2d([
  [1, 0, 1],
  [0, 0, 1],
  [1, 1, 0],
  [0, 1, 0],
]);

describe('perExampleLoss matches tfjs-layers metrics and tfjs-core losses, one value per example', () => {
  const cases: [string, () => tf.Tensor, () => tf.Tensor][] = [
    [
      'categorical CE on probabilities',
      () => perExampleLoss('categoricalCrossentropy', oneHot, probs, false),
      () => tf.metrics.categoricalCrossentropy(oneHot, probs),
    ],
    [
      'categorical CE on logits',
      () => perExampleLoss('categoricalCrossentropy', oneHot, logits, true),
      () => tf.losses.softmaxCrossEntropy(oneHot, logits, undefined, 0, tf.Reduction.NONE),
    ],
    [
      'sparse categorical CE, labels [B]',
      () => perExampleLoss('sparseCategoricalCrossentropy', labels, probs, false),
      () => tf.metrics.categoricalCrossentropy(oneHot, probs),
    ],
    [
      'sparse categorical CE, labels [B, 1], logits',
      () => perExampleLoss('sparseCategoricalCrossentropy', labels.reshape([4, 1]), logits, true),
      () => tf.losses.softmaxCrossEntropy(oneHot, logits, undefined, 0, tf.Reduction.NONE),
    ],
    [
      'binary CE on probabilities',
      () => perExampleLoss('binaryCrossentropy', bits, tf.sigmoid(logits), false),
      () => tf.metrics.binaryCrossentropy(bits, tf.sigmoid(logits)),
    ],
    [
      'binary CE on logits',
      () => perExampleLoss('binaryCrossentropy', bits, logits, true),
      () => tf.losses.sigmoidCrossEntropy(bits, logits, undefined, 0, tf.Reduction.NONE).mean(1),
    ],
    [
      'mean squared error',
      () => perExampleLoss('meanSquaredError', bits, logits, false),
      () => tf.metrics.meanSquaredError(bits, logits),
    ],
  ];
  it.each(cases)('%s', (_, ours, theirs) => {
    const a = ours();
    expect(a.shape).toEqual([4]);
    expect(relErr(a.dataSync(), theirs().dataSync())).toBeLessThan(1e-6);
  });

  it('rejects a per-example function that does not return one value per example', () => {
    const bad = { perExample: (y: tf.Tensor, p: tf.Tensor) => y.sub(p).square().sum() as unknown as tf.Tensor1D };
    expect(() => perExampleLoss(bad, bits, logits, false)).toThrow(TrainerError);
  });
});

describe('where the loss reads the model output', () => {
  it('folds a final Activation(softmax) layer into the loss, with the same gradients', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [3],
          units: 5,
          activation: 'tanh',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
        tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        tf.layers.activation({ activation: 'softmax' }),
      ],
    });
    const xs = tf.randomNormal([4, 3], 0, 1, 'float32', 3);
    const ref = referenceGrads(model, xs, oneHot, (y, p) => tf.metrics.categoricalCrossentropy(y, p));
    expect(
      maxNormErr(await perSampleGradNorms(model, xs, oneHot, { loss: 'categoricalCrossentropy' }), ref.norms),
    ).toBeLessThan(1e-5);
    // Explicit fromLogits: true on this model would apply softmax twice: a different (wrong for it) gradient.
    const twice = await perSampleGradNorms(model, xs, oneHot, { loss: 'categoricalCrossentropy', fromLogits: true });
    expect(relErr(twice, ref.norms)).toBeGreaterThan(1e-2);
  });

  it('reads a linear output as logits for cross-entropies unless fromLogits is false', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [3], units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
      ],
    });
    const xs = tf.randomNormal([4, 3], 0, 1, 'float32', 5);
    const asLogits = referenceGrads(model, xs, labels, (y, p) =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(y.toInt(), 3), p, undefined, 0, tf.Reduction.NONE),
    );
    expect(
      maxNormErr(
        await perSampleGradNorms(model, xs, labels, { loss: 'sparseCategoricalCrossentropy' }),
        asLogits.norms,
      ),
    ).toBeLessThan(1e-5);
    const mse = referenceGrads(model, xs, bits, (y, p) => tf.metrics.meanSquaredError(y, p));
    expect(
      maxNormErr(await perSampleGradNorms(model, xs, bits, { loss: 'meanSquaredError', fromLogits: false }), mse.norms),
    ).toBeLessThan(1e-5);
  });

  it('runs Dropout in training mode (masks differ between calls)', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [8], units: 16, activation: 'tanh' }),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const xs = tf.randomNormal([6, 8], 0, 1, 'float32', 6);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3).toFloat();
    const a = await perSampleGradNorms(model, xs, ys, { loss: 'categoricalCrossentropy' });
    const b = await perSampleGradNorms(model, xs, ys, { loss: 'categoricalCrossentropy' });
    expect(relErr(a, b)).toBeGreaterThan(1e-3);
  });
});
