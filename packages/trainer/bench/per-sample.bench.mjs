// Benchmark: a DP step (clipAndAccumulate + noise-free SGD update) against a plain non-private step of the same
// model on the same backend, and vectorized against microbatched per-example gradients. Ratios come from one run.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as trainer from '../dist/index.js';

const B = Number(process.env.BENCH_BATCH ?? 256);
const quiet = console.warn;

async function select(name) {
  if (typeof trainer.useBackend === 'function') return trainer.useBackend(name);
  await tf.setBackend(name);
  await tf.ready();
  return tf.getBackend();
}

function mlp() {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 512, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

function tanhCnn() {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 16,
        kernelSize: 8,
        strides: 2,
        padding: 'same',
        activation: 'tanh',
      }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
      tf.layers.conv2d({ filters: 32, kernelSize: 4, strides: 2, activation: 'tanh' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 32, activation: 'tanh' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function once(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * Runs `a` and `b` alternately (after warm-up), so load from other processes hits both alike; returns the median
 * times and the median of the paired ratios b / a.
 */
async function paired(a, b, reps, warm = 2) {
  for (let i = 0; i < warm; i += 1) {
    await a();
    await b();
  }
  const ta = [];
  const tb = [];
  for (let i = 0; i < reps; i += 1) {
    ta.push(await once(a));
    tb.push(await once(b));
  }
  return { a: median(ta), b: median(tb), ratio: median(ta.map((t, i) => tb[i] / t)) };
}

function steps(model, xs, ys) {
  const opt = tf.train.sgd(0.01);
  const vars = model.trainableWeights.map((w) => w.read());
  const plain = async () => {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => tf.metrics.categoricalCrossentropy(ys, model.apply(xs, { training: true })).mean(),
        vars,
      );
      opt.applyGradients(grads);
    });
    await vars[0].data(); // wait for the backend to finish
  };
  const dp = (rules) => async () => {
    const r = trainer.clipAndAccumulate(model, xs, ys, {
      loss: 'categoricalCrossentropy',
      clipping: { kind: 'flat', clipNorm: 1 },
      rules,
    });
    tf.tidy(() => opt.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, r.sums[i].div(B)]))));
    tf.dispose([...r.sums, r.norms, r.lossSum]);
    await vars[0].data();
  };
  return { plain, dp };
}

async function measure(label, make, inputShape, reps, withMicrobatch) {
  const model = make();
  const xs = tf.randomNormal([B, ...inputShape]);
  const ys = tf.oneHot(tf.randomUniform([B], 0, 10, 'int32'), 10).toFloat();
  const { plain, dp } = steps(model, xs, ys);
  const { a: tPlain, b: tDp, ratio } = await paired(plain, dp(undefined), reps);
  console.log(
    `${label} on ${tf.getBackend()}, B=${B}: plain ${tPlain.toFixed(1)} ms, DP ${tDp.toFixed(1)} ms (medians), ` +
      `DP/plain = ${ratio.toFixed(2)} (median of paired runs; issue 13 target <= 1.15)`,
  );
  if (withMicrobatch) {
    const base = trainer.defaultLayerRules();
    const none = { vectorized: new Map(), refused: base.refused };
    console.warn = () => {};
    const micro = await paired(dp(undefined), dp(none), 3, 1);
    console.warn = quiet;
    console.log(
      `${label} on ${tf.getBackend()}, B=${B}: microbatch DP ${micro.b.toFixed(1)} ms, ` +
        `microbatch/vectorized = ${micro.ratio.toFixed(1)}x (median of paired runs; target >= 10)`,
    );
  }
  tf.dispose([xs, ys]);
  model.dispose();
}

await select('wasm');
await measure('MLP 784-512-10', mlp, [784], 15, true);
const cnnBackend = await (async () => {
  try {
    const m = tanhCnn();
    tf.tidy(() => tf.variableGrads(() => m.apply(tf.zeros([1, 28, 28, 1])).sum()));
    m.dispose();
    return 'wasm';
  } catch {
    console.log('tanh CNN: the plain step needs Conv2DBackpropFilter on wasm (not in this build); measured on cpu');
    return select('cpu');
  }
})();
if (cnnBackend === 'cpu') await select('cpu');
await measure('tanh CNN (Papernot et al. 2020)', tanhCnn, [28, 28, 1], 7, false);
