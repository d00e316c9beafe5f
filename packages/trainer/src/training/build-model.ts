/** Built-in models for demos and benchmarks. */
import * as tf from '@tensorflow/tfjs';
import { fail } from './fail.js';

export type BuiltinModel = 'mlp' | 'tanh-cnn';

/**
 * A fresh model that outputs logits for 10 classes of 28x28 images:
 * - `mlp`: [784] -> dense 512 relu -> dense 10 (the MLP 784-512-10 benchmark model).
 * - `tanh-cnn`: [28, 28, 1] -> conv 16 8x8 s2 same -> tanh -> maxpool 2 s1 -> conv 32 4x4 s2 valid -> tanh ->
 *   maxpool 2 s1 -> flatten -> dense 32 tanh -> dense 10 (Papernot, Thakurta, Song, Chien, Erlingsson 2020,
 *   "Tempered sigmoid activations for deep learning with differential privacy", Table: MNIST/FashionMNIST model).
 * @example const model = buildModel('tanh-cnn', { seed: 1 }); // input [n, 28, 28, 1]
 */
export function buildModel(name: BuiltinModel, opts: { seed?: number } = {}): tf.LayersModel {
  let seed = opts.seed;
  const init = () => (seed === undefined ? 'glorotUniform' : tf.initializers.glorotUniform({ seed: seed++ }));
  if (name === 'mlp') {
    return tf.sequential({
      name: 'mlp',
      layers: [
        tf.layers.dense({ inputShape: [784], units: 512, activation: 'relu', kernelInitializer: init() }),
        tf.layers.dense({ units: 10, kernelInitializer: init() }),
      ],
    });
  }
  if (name === 'tanh-cnn') {
    return tf.sequential({
      name: 'tanh_cnn',
      layers: [
        tf.layers.conv2d({
          inputShape: [28, 28, 1],
          filters: 16,
          kernelSize: 8,
          strides: 2,
          padding: 'same',
          activation: 'tanh',
          kernelInitializer: init(),
        }),
        tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
        tf.layers.conv2d({
          filters: 32,
          kernelSize: 4,
          strides: 2,
          padding: 'valid',
          activation: 'tanh',
          kernelInitializer: init(),
        }),
        tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 32, activation: 'tanh', kernelInitializer: init() }),
        tf.layers.dense({ units: 10, kernelInitializer: init() }),
      ],
    });
  }
  return fail('invalid_argument', `unknown built-in model '${String(name)}' (mlp or tanh-cnn)`);
}

/**
 * The input layout a built-in model expects.
 * @example modelLayout('mlp') // 'flat'
 */
export function modelLayout(name: BuiltinModel): 'flat' | 'image' {
  return name === 'mlp' ? 'flat' : 'image';
}
