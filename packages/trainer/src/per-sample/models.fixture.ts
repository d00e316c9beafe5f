/** Test support: small seeded models covering every per-sample rule, with inputs, labels and a reference loss. */
import * as tf from '@tensorflow/tfjs';
import type { LossSpec } from './types.js';
import type { RefLoss } from './reference-loop.fixture.js';

export interface Case {
  name: string;
  model: tf.LayersModel;
  xs: tf.Tensor;
  ys: tf.Tensor;
  loss: LossSpec;
  fromLogits?: boolean;
  ref: RefLoss;
}

const init = (seed: number) => tf.initializers.glorotUniform({ seed });
const biasInit = (seed: number) => tf.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed });
const dense = (units: number, seed: number, extra: Partial<Parameters<typeof tf.layers.dense>[0]> = {}) =>
  tf.layers.dense({ units, kernelInitializer: init(seed), biasInitializer: biasInit(seed + 100), ...extra });

const cce: RefLoss = (y, p) => tf.metrics.categoricalCrossentropy(y, p);
const oneHotCce =
  (classes: number): RefLoss =>
  (y, p) =>
    tf.metrics.categoricalCrossentropy(tf.oneHot(y.reshape([-1]).toInt(), classes), p);
const x = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
const labels = (b: number, classes: number, seed: number) =>
  tf.oneHot(tf.randomUniform([b], 0, classes, 'int32', seed), classes).toFloat();

/** MLP 6-8(tanh)-4(softmax), categorical cross-entropy. */
export function mlp(b = 6): Case {
  const model = tf.sequential({
    layers: [dense(8, 1, { inputShape: [6], activation: 'tanh' }), dense(4, 2, { activation: 'softmax' })],
  });
  return { name: 'MLP', model, xs: x([b, 6], 3), ys: labels(b, 4, 4), loss: 'categoricalCrossentropy', ref: cce };
}

/**
 * The tanh CNN of Papernot et al. 2020 (conv 16x8x8 s2 'same', tanh, maxpool 2 s1, conv 32x4x4 s2, tanh, maxpool 2 s1,
 * dense 32 tanh, dense 10).
 */
export function tanhCnn(b = 3): Case {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 16,
        kernelSize: 8,
        strides: 2,
        padding: 'same',
        activation: 'tanh',
        kernelInitializer: init(11),
        biasInitializer: biasInit(12),
      }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
      tf.layers.conv2d({
        filters: 32,
        kernelSize: 4,
        strides: 2,
        activation: 'tanh',
        kernelInitializer: init(13),
        biasInitializer: biasInit(14),
      }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
      tf.layers.flatten(),
      dense(32, 15, { activation: 'tanh' }),
      dense(10, 16, { activation: 'softmax' }),
    ],
  });
  return {
    name: 'tanh CNN',
    model,
    xs: x([b, 28, 28, 1], 17),
    ys: tf.randomUniform([b], 0, 10, 'int32', 18),
    loss: 'sparseCategoricalCrossentropy',
    ref: oneHotCce(10),
  };
}

/** Embedding(7, 4) over 5 positions with repeated indices, flatten, dense 3 softmax. */
export function embedding(b = 5): Case {
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({
        inputDim: 7,
        outputDim: 4,
        inputLength: 5,
        embeddingsInitializer: tf.initializers.randomNormal({ seed: 21 }),
      }),
      tf.layers.flatten(),
      dense(3, 22, { activation: 'softmax' }),
    ],
  });
  const xs = tf.randomUniform([b, 5], 0, 4, 'int32', 23).toFloat(); // 4 of 7 rows: repeats within an example
  return { name: 'Embedding', model, xs, ys: labels(b, 3, 24), loss: 'categoricalCrossentropy', ref: cce };
}

/** Dense, LayerNormalization (on a sequence, so gamma's per-example gradient sums positions), dense, binary CE. */
export function layerNorm(b = 5): Case {
  const model = tf.sequential({
    layers: [
      dense(6, 31, { inputShape: [3, 4] }),
      tf.layers.layerNormalization({
        gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 32 }),
        betaInitializer: biasInit(33),
      }),
      tf.layers.flatten(),
      dense(2, 34, { activation: 'sigmoid' }),
    ],
  });
  const ys = tf.randomUniform([b, 2], 0, 2, 'int32', 35).toFloat();
  return {
    name: 'LayerNormalization',
    model,
    xs: x([b, 3, 4], 36),
    ys,
    loss: 'binaryCrossentropy',
    ref: (y, p) => tf.metrics.binaryCrossentropy(y, p),
  };
}

/** Functional: two dense branches added, concatenated with the input, dense linear output, mean squared error. */
export function functionalAdd(b = 5): Case {
  const inp = tf.input({ shape: [5] });
  const a = dense(4, 41, { activation: 'tanh' }).apply(inp) as tf.SymbolicTensor;
  const c = dense(4, 42).apply(inp) as tf.SymbolicTensor;
  const sum = tf.layers.add().apply([a, c]) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate().apply([sum, inp]) as tf.SymbolicTensor;
  const out = dense(2, 43).apply(tf.layers.activation({ activation: 'relu' }).apply(cat)) as tf.SymbolicTensor;
  return {
    name: 'functional Add/Concatenate',
    model: tf.model({ inputs: inp, outputs: out }),
    xs: x([b, 5], 44),
    ys: x([b, 2], 45),
    loss: 'meanSquaredError',
    ref: (y, p) => tf.metrics.meanSquaredError(y, p),
  };
}

/** A Sequential used as a layer inside a functional model (expanded in place), then a dense layer. */
export function nestedModel(b = 4): Case {
  const inner = tf.sequential({
    layers: [dense(6, 101, { inputShape: [5], activation: 'tanh' }), dense(4, 102, { activation: 'tanh' })],
  });
  const inp = tf.input({ shape: [5] });
  const out = dense(3, 103, { activation: 'softmax' }).apply(inner.apply(inp)) as tf.SymbolicTensor;
  return {
    name: 'nested Sequential',
    model: tf.model({ inputs: inp, outputs: out }),
    xs: x([b, 5], 104),
    ys: labels(b, 3, 105),
    loss: 'categoricalCrossentropy',
    ref: cce,
  };
}

/** One Dense layer called twice (shared weights: microbatched), the two calls added. */
export function sharedLayer(b = 4): Case {
  const shared = dense(5, 111, { activation: 'tanh' });
  const inp = tf.input({ shape: [5] });
  const twice = shared.apply(shared.apply(inp)) as tf.SymbolicTensor;
  const out = dense(2, 112).apply(tf.layers.add().apply([twice, inp]) as tf.SymbolicTensor) as tf.SymbolicTensor;
  return {
    name: 'shared layer (microbatch fallback)',
    model: tf.model({ inputs: inp, outputs: out }),
    xs: x([b, 5], 113),
    ys: x([b, 2], 114),
    loss: 'meanSquaredError',
    ref: (y, p) => tf.metrics.meanSquaredError(y, p),
  };
}

/** Conv1D ('same', stride 2) then Conv1D ('valid'), dense logits, softmax cross-entropy from logits. */
export function conv1d(b = 4): Case {
  const model = tf.sequential({
    layers: [
      tf.layers.conv1d({
        inputShape: [10, 3],
        filters: 4,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'tanh',
        kernelInitializer: init(51),
        biasInitializer: biasInit(52),
      }),
      tf.layers.conv1d({ filters: 3, kernelSize: 2, kernelInitializer: init(53), biasInitializer: biasInit(54) }),
      tf.layers.flatten(),
      dense(3, 55),
    ],
  });
  const ys = labels(b, 3, 56);
  return {
    name: 'Conv1D',
    model,
    xs: x([b, 10, 3], 57),
    ys,
    loss: 'categoricalCrossentropy',
    fromLogits: true,
    ref: (y, p) => tf.losses.softmaxCrossEntropy(y, p, undefined, 0, tf.Reduction.NONE),
  };
}

/**
 * Conv2D 'valid' with strides [3, 2] on a 12x10 map (a row and a column no window reaches, cut before the per-example
 * filter convolution), then a 'same' Conv2D, whose input gradient goes through the first layer.
 */
export function convCrop(b = 4): Case {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [12, 10, 2],
        filters: 3,
        kernelSize: [2, 3],
        strides: [3, 2],
        activation: 'tanh',
        kernelInitializer: init(121),
        biasInitializer: biasInit(122),
      }),
      tf.layers.conv2d({
        filters: 4,
        kernelSize: 2,
        padding: 'same',
        activation: 'tanh',
        kernelInitializer: init(123),
        biasInitializer: biasInit(124),
      }),
      tf.layers.flatten(),
      dense(3, 125, { activation: 'softmax' }),
    ],
  });
  return {
    name: 'Conv2D with unreached rows and columns',
    model,
    xs: x([b, 12, 10, 2], 126),
    ys: labels(b, 3, 127),
    loss: 'categoricalCrossentropy',
    ref: cce,
  };
}

/** Conv2D on a 3x3 map ('same', stride 2: 4 positions), where ghost norms are cheaper than per-example filters. */
export function convGhost(b = 4): Case {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [3, 3, 16],
        filters: 32,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'tanh',
        kernelInitializer: init(91),
        biasInitializer: biasInit(92),
      }),
      tf.layers.flatten(),
      dense(3, 93, { activation: 'softmax' }),
    ],
  });
  return {
    name: 'Conv2D by ghost norm',
    model,
    xs: x([b, 3, 3, 16], 94),
    ys: labels(b, 3, 95),
    loss: 'categoricalCrossentropy',
    ref: cce,
  };
}

/**
 * DepthwiseConv2D (multiplier 2, stride 2, 'same'), dense softmax (first layer: wasm 4.22 lacks its input gradient).
 */
export function depthwise(b = 4): Case {
  const model = tf.sequential({
    layers: [
      tf.layers.depthwiseConv2d({
        inputShape: [7, 7, 2],
        kernelSize: 3,
        depthMultiplier: 2,
        strides: 2,
        padding: 'same',
        activation: 'tanh',
        depthwiseInitializer: init(61),
        biasInitializer: biasInit(62),
      }),
      tf.layers.flatten(),
      dense(3, 65, { activation: 'softmax' }),
    ],
  });
  return {
    name: 'DepthwiseConv2D',
    model,
    xs: x([b, 7, 7, 2], 66),
    ys: labels(b, 3, 67),
    loss: 'categoricalCrossentropy',
    ref: cce,
  };
}

/**
 * Dense on a sequence: one layer materialised (T^2 (in+out) > T in out), one by ghost norm, a custom per-example loss.
 */
export function denseSequence(b = 4): Case {
  const model = tf.sequential({
    layers: [
      dense(16, 71, { inputShape: [3, 2], activation: 'tanh' }),
      dense(16, 72),
      tf.layers.flatten(),
      dense(2, 73),
    ],
  });
  const huber: RefLoss = (y, p) => tf.losses.huberLoss(y, p, undefined, 1, tf.Reduction.NONE).mean(1);
  return {
    name: 'Dense on sequences',
    model,
    xs: x([b, 3, 2], 74),
    ys: x([b, 2], 75),
    loss: { perExample: (y, p) => huber(y, p) as tf.Tensor1D },
    ref: huber,
  };
}

/** A SimpleRNN (no vectorized rule: microbatched) before a dense softmax layer. */
export function rnnFallback(b = 4): Case {
  const model = tf.sequential({
    layers: [
      tf.layers.simpleRNN({
        inputShape: [4, 2],
        units: 3,
        kernelInitializer: init(81),
        recurrentInitializer: init(82),
        biasInitializer: biasInit(83),
      }),
      dense(3, 84, { activation: 'softmax' }),
    ],
  });
  return {
    name: 'SimpleRNN (microbatch fallback)',
    model,
    xs: x([b, 4, 2], 85),
    ys: tf.randomUniform([b, 1], 0, 3, 'int32', 86),
    loss: 'sparseCategoricalCrossentropy',
    ref: oneHotCce(3),
  };
}

/** Embedding with maskZero (zero-padded sequences) feeding a SimpleRNN, which must see the mask. */
export function maskedSequence(b = 4): Case {
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({
        inputDim: 6,
        outputDim: 3,
        maskZero: true,
        embeddingsInitializer: tf.initializers.randomNormal({ seed: 121 }),
      }),
      tf.layers.simpleRNN({
        units: 3,
        kernelInitializer: init(122),
        recurrentInitializer: init(123),
        biasInitializer: biasInit(124),
      }),
      dense(2, 125, { activation: 'softmax' }),
    ],
  });
  model.build([null, 5]);
  const xs = tf.tensor2d(
    [
      [3, 1, 4, 0, 0],
      [5, 2, 0, 0, 0],
      [1, 1, 2, 3, 5],
      [2, 0, 0, 0, 0],
      [4, 4, 0, 0, 0],
    ].slice(0, b),
  );
  return {
    name: 'Embedding(maskZero) into SimpleRNN',
    model,
    xs,
    ys: labels(b, 2, 126),
    loss: 'categoricalCrossentropy',
    ref: cce,
  };
}

/** Wrappers: TimeDistributed(Dense) over 3 steps, Bidirectional(SimpleRNN), dense softmax (microbatched wrappers). */
export function wrappers(b = 4): Case {
  const model = tf.sequential({
    layers: [
      tf.layers.timeDistributed({ inputShape: [3, 4], layer: dense(5, 131, { activation: 'tanh' }) }),
      tf.layers.bidirectional({
        layer: tf.layers.simpleRNN({
          units: 3,
          kernelInitializer: init(132),
          recurrentInitializer: init(133),
        }) as never,
        mergeMode: 'concat',
      }),
      dense(3, 134, { activation: 'softmax' }),
    ],
  });
  return {
    name: 'TimeDistributed and Bidirectional wrappers',
    model,
    xs: x([b, 3, 4], 135),
    ys: labels(b, 3, 136),
    loss: 'categoricalCrossentropy',
    ref: cce,
  };
}

/** A nested Sequential called twice (not expanded: microbatched as one node per call), the calls added. */
export function nestedTwice(b = 4): Case {
  const inner = tf.sequential({ layers: [dense(5, 141, { inputShape: [5], activation: 'tanh' })] });
  const inp = tf.input({ shape: [5] });
  const twice = inner.apply(inner.apply(inp)) as tf.SymbolicTensor;
  const out = dense(2, 142).apply(tf.layers.add().apply([twice, inp]) as tf.SymbolicTensor) as tf.SymbolicTensor;
  return {
    name: 'nested model called twice',
    model: tf.model({ inputs: inp, outputs: out }),
    xs: x([b, 5], 143),
    ys: x([b, 2], 144),
    loss: 'meanSquaredError',
    ref: (y, p) => tf.metrics.meanSquaredError(y, p),
  };
}
