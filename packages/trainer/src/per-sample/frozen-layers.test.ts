import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../backends/index.js';
import { clippedGradSum, perSampleGradNorms } from './index.js';
import { maxNormErr, referenceClippedSum, referenceGrads, relErr } from './reference-loop.fixture.js';

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

/** A trainable conv, a frozen conv (a pretrained block, say), a frozen dense and a trainable dense softmax head. */
function frozenMiddle(): { model: tf.LayersModel; xs: tf.Tensor; ys: tf.Tensor } {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 2],
        filters: 4,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'tanh',
        kernelInitializer: init(1),
      }),
      tf.layers.conv2d({ filters: 3, kernelSize: 2, activation: 'tanh', kernelInitializer: init(2), trainable: false }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 5, activation: 'tanh', kernelInitializer: init(6), trainable: false }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(3) }),
    ],
  });
  const xs = tf.randomNormal([5, 8, 8, 2], 0, 1, 'float32', 4);
  const ys = tf.oneHot(tf.randomUniform([5], 0, 3, 'int32', 5), 3).toFloat();
  return { model, xs, ys };
}

describe.each(['cpu', 'wasm'] as const)('frozen layers on %s', (backend) => {
  it('get no weight gradients, and the trainable ones still equal the tf.variableGrads loop', async () => {
    await useBackend(backend);
    const { model, xs, ys } = frozenMiddle();
    expect(model.trainableWeights.length).toBe(4); // the frozen layers' kernels and biases are not trainable
    const opts = { loss: 'categoricalCrossentropy' as const };
    const run = () => tf.tidy(() => clippedGradSum(model, xs, ys, { ...opts, clipNorm: 0.5 }).map((t) => t.sum()));
    const { kernelNames } = await tf.profile(run);
    // The frozen conv passes the gradient on to its input; its filter gradient (tfjs-layers' fused op) is not computed.
    expect(kernelNames.filter((k) => k.startsWith('Conv2DBackprop'))).toEqual(['Conv2DBackpropInput']);
    await tf.setBackend('cpu');
    const ref = referenceGrads(model, xs, ys, (y, p) => tf.metrics.categoricalCrossentropy(y, p));
    await tf.setBackend(backend);
    expect(maxNormErr(await perSampleGradNorms(model, xs, ys, opts), ref.norms)).toBeLessThan(1e-5);
    const sums = clippedGradSum(model, xs, ys, { ...opts, clipNorm: 0.5 });
    const want = referenceClippedSum(ref, [[0, 1, 2, 3]], [0.5]);
    sums.forEach((s, i) => expect(relErr(s.dataSync(), want[i] as Float64Array)).toBeLessThan(1e-5));
    tf.dispose([...sums, xs, ys]);
    model.dispose();
  });
});
