// Benchmark of the tfjs-backend-wasm 4.22 kernel fixes (registerWasmFixes): each fixed kernel against the stock
// kernel it replaces, measured in this run (the stock wasm kernel, or cpu's where wasm has none). Ratios only.
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as trainer from '../dist/index.js';

const B = Number(process.env.BENCH_BATCH ?? 256);

/** Median wall time in ms of `reps` runs after `warm` warm-up runs. */
function time(fn, reps, warm = 1) {
  const run = () => tf.tidy(() => fn().forEach((t) => t.dataSync()));
  for (let i = 0; i < warm; i += 1) run();
  const ts = [];
  for (let i = 0; i < reps; i += 1) {
    const t0 = performance.now();
    run();
    ts.push(performance.now() - t0);
  }
  return ts.sort((a, b) => a - b)[Math.floor(reps / 2)];
}

function relErr(a, b) {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i += 1) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / s;
}

const seeded = (seed) => tf.initializers.glorotNormal({ seed });
const mlp = () =>
  tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 512, activation: 'relu', kernelInitializer: seeded(1) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: seeded(2) }),
    ],
  });

/** A plain (non-private) gradient step of `model` on fixed inputs: the work a training step asks of the kernels. */
function gradStep(model, x, y) {
  return () => {
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })),
      model.trainableWeights.map((w) => w.read()),
    );
    return Object.values(grads);
  };
}

await tf.setBackend('cpu');
const x = tf.tidy(() => tf.randomNormal([B, 784], 0, 1, 'float32', 1));
const y = tf.tidy(() =>
  tf.oneHot(
    tf.tensor1d(
      Array.from({ length: B }, (_, i) => i % 10),
      'int32',
    ),
    10,
  ),
);
const model = mlp();
// cpu's stock Conv2DBackpropFilter takes seconds per call: both sides run at a smaller batch.
const BC = Math.max(1, B >> 3);
const xConv = tf.tidy(() => tf.randomNormal([BC, 28, 28, 1], 0, 1, 'float32', 2));
const dyConv = tf.tidy(() => tf.randomNormal([BC, 14, 14, 16], 0, 1, 'float32', 3));
const conv1Grad = () => [
  tf
    .engine()
    .runKernel(
      'Conv2DBackpropFilter',
      { x: xConv, dy: dyConv },
      { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', filterShape: [8, 8, 1, 16] },
    ),
];
const a3 = tf.tidy(() => tf.randomNormal([8, 256, 256], 0, 1, 'float32', 4));
const b3 = tf.tidy(() => tf.randomNormal([8, 256, 256], 0, 1, 'float32', 5));
const batched = () => [tf.matMul(a3, b3)];
const pooled = tf.tidy(() => tf.randomNormal([B, 14, 14, 16], 0, 1, 'float32', 6));
// Papernot conv2's input gradient (4x4 s2 'valid', 16 -> 32 on 13x13), a tanh over conv1's output, and the crop of
// conv2's per-example filter gradients ([Cin, 5, 5, B * Cout] -> [Cin, 4, 4, B * Cout]).
const dy2 = tf.tidy(() => tf.randomNormal([B, 5, 5, 32], 0, 1, 'float32', 7));
const w2 = tf.tidy(() => tf.randomNormal([4, 4, 16, 32], 0, 1, 'float32', 8));
// Each read back as a sum: reading millions of values off the wasm heap would outweigh the kernels.
const conv2Input = () => [
  tf
    .engine()
    .runKernel(
      'Conv2DBackpropInput',
      { dy: dy2, filter: w2 },
      { strides: [2, 2], pad: 'valid', dataFormat: 'NHWC', inputShape: [B, 13, 13, 16] },
    )
    .sum(),
];
const tanh = () => [tf.tanh(pooled).sum()];
const perExample = tf.tidy(() => tf.randomNormal([16, 5, 5, B * 32], 0, 1, 'float32', 9));
const crop = () => [perExample.slice([0, 0, 0, 0], [16, 4, 4, B * 32]).sum()];
const poolGrad = () => [tf.grad((v) => tf.maxPool(tf.tanh(v), 2, 1, 'valid').sum())(pooled)];

// Baselines: the stock wasm kernels (and cpu for Conv2DBackpropFilter, which stock wasm lacks).
const cpuConv = time(conv1Grad, 1, 0);
const cpuPool = tf.tidy(() => poolGrad()[0].dataSync().slice());
setWasmPaths(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + sep);
await tf.setBackend('wasm');
const stockStep = time(gradStep(model, x, y), 5);
const stockBatched = time(batched, 3);
const stockPool = tf.tidy(() => poolGrad()[0].dataSync().slice());
const stockConv2Input = time(conv2Input, 3);
const stockTanh = time(tanh, 3);
const stockCrop = time(crop, 3);

trainer.registerWasmFixes();
const fixedStep = time(gradStep(model, x, y), 5);
const fixedBatched = time(batched, 3);
const fixedConv = time(conv1Grad, 3);
const fixedPool = tf.tidy(() => poolGrad()[0].dataSync().slice());
const fixedConv2Input = time(conv2Input, 3);
const fixedTanh = time(tanh, 3);
const fixedCrop = time(crop, 3);

const line = (what, base, baseMs, fixedMs) =>
  console.log(
    `${what}: ${base} ${baseMs.toFixed(1)} ms, fixed wasm ${fixedMs.toFixed(1)} ms, ` +
      `speed-up ${(baseMs / fixedMs).toFixed(1)}x`,
  );
line(`MLP 784-512-10 gradient step (transposed matMuls), B=${B}`, 'stock wasm', stockStep, fixedStep);
line('batched matMul 8 x 256x256x256', 'stock wasm', stockBatched, fixedBatched);
line(
  `Conv2DBackpropFilter, Papernot conv1 (8x8 s2 same, 1->16), B=${BC}`,
  'cpu (missing on stock wasm)',
  cpuConv,
  fixedConv,
);
line(
  `Conv2DBackpropInput, Papernot conv2 (4x4 s2 valid, 16->32), B=${B}`,
  'stock wasm',
  stockConv2Input,
  fixedConv2Input,
);
line(`Tanh over [${B}, 14, 14, 16]`, 'stock wasm', stockTanh, fixedTanh);
line(`Slice [16, 5, 5, ${B * 32}] -> [16, 4, 4, ${B * 32}]`, 'stock wasm', stockCrop, fixedCrop);
console.log(
  `MaxPoolGrad after tanh, B=${B}: relative error vs cpu, stock wasm ${relErr(stockPool, cpuPool).toFixed(3)}, ` +
    `fixed wasm ${relErr(fixedPool, cpuPool).toExponential(1)}`,
);
