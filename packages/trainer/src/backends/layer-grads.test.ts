import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { normals, relativeError, valuesOn } from './test-support.js';
import { useBackend } from './use-backend.js';

const seeded = (seed: number) => tf.initializers.glorotNormal({ seed });

/** The tanh CNN of Papernot et al. 2020 (Tempered Sigmoid Activations), on 28x28x1 inputs. */
function papernotCnn(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 16,
        kernelSize: 8,
        strides: 2,
        padding: 'same',
        activation: 'tanh',
        kernelInitializer: seeded(1),
      }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
      tf.layers.conv2d({ filters: 32, kernelSize: 4, strides: 2, activation: 'tanh', kernelInitializer: seeded(2) }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 32, activation: 'tanh', kernelInitializer: seeded(3) }),
      tf.layers.dense({ units: 10, kernelInitializer: seeded(4) }),
    ],
  });
}

const models: Record<string, { build: () => tf.LayersModel; input: () => tf.Tensor }> = {
  'Dense MLP': {
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [20], units: 32, activation: 'relu', kernelInitializer: seeded(5) }),
          tf.layers.dense({ units: 10, kernelInitializer: seeded(6) }),
        ],
      }),
    input: () => tf.tensor2d(normals(8 * 20, 7), [8, 20]),
  },
  'tanh CNN': { build: papernotCnn, input: () => tf.tensor4d(normals(8 * 784, 8), [8, 28, 28, 1]) },
  Embedding: {
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.embedding({ inputDim: 30, outputDim: 6, inputLength: 5, embeddingsInitializer: seeded(9) }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 10, kernelInitializer: seeded(10) }),
        ],
      }),
    input: () =>
      tf.tensor2d(
        Array.from({ length: 40 }, (_, i) => (i * 7) % 30),
        [8, 5],
        'int32',
      ),
  },
  LayerNormalization: {
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [12], units: 16, kernelInitializer: seeded(11) }),
          tf.layers.layerNormalization(),
          tf.layers.activation({ activation: 'tanh' }),
          tf.layers.dense({ units: 10, kernelInitializer: seeded(12) }),
        ],
      }),
    input: () => tf.tensor2d(normals(8 * 12, 13), [8, 12]),
  },
  'DepthwiseConv2D + Conv1D': {
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.depthwiseConv2d({
            inputShape: [10, 10, 2],
            kernelSize: 3,
            depthMultiplier: 2,
            activation: 'tanh',
            depthwiseInitializer: seeded(14),
          }),
          tf.layers.reshape({ targetShape: [64, 4] }),
          tf.layers.conv1d({
            filters: 3,
            kernelSize: 5,
            strides: 2,
            activation: 'tanh',
            kernelInitializer: seeded(15),
          }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 10, kernelInitializer: seeded(16) }),
        ],
      }),
    input: () => tf.tensor4d(normals(8 * 200, 17), [8, 10, 10, 2]),
  },
};

describe('a plain tfjs-layers training step on wasm equals cpu', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each(Object.keys(models))('%s: tf.variableGrads to 1e-4', async (name) => {
    const spec = models[name]!;
    const model = spec.build(); // weights live on cpu; tfjs moves them when the backend changes
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
    const grads = () => {
      const x = spec.input();
      const { value, grads: g } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        model.trainableWeights.map((w) => w.read() as tf.Variable),
      );
      return [value, ...model.trainableWeights.map((w) => g[w.name]!)];
    };
    const cpu = await valuesOn('cpu', grads);
    const wasm = await valuesOn('wasm', grads);
    expect(wasm.length).toBe(model.trainableWeights.length + 1);
    cpu.forEach((c, i) => expect(relativeError(wasm[i]!, c), `output ${i}`).toBeLessThan(1e-4));
  });
});
