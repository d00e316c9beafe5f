// Quality run: the Papernot et al. 2020 tanh CNN trained with DPTrainer on the full Fashion-MNIST (Debian package
// dataset-fashion-mnist) at epsilon <= 3, delta = 1e-5, toward the 86.5% test-accuracy target. Prints test accuracy and
// epsilon after each epoch and the wall time. Hyper-parameters default to the Opacus anchor of issue 4 (expected batch
// 2048, lr 4, momentum 0.9, C 0.1, 40 epochs, Poisson sampling); sigma is calibrated to the target epsilon.
//   npx tsc -b packages/trainer && node packages/trainer/bench/fashion-mnist-accuracy.mjs
// Environment overrides: DATA, EPOCHS, BATCH, LR, MOMENTUM, CLIP, TARGET_EPS, DELTA, PHYSICAL, SEED=<32+ hex digits> (a
// seeded run; default secure), BACKEND,
// ACCOUNTANT=pld (calibrates sigma by the tighter PLD accountant: 1.80 instead of 1.92 for the defaults),
// EMA=<decay, e.g. 0.99> (also reports the accuracy of an exponential moving average of the weights, updated after
// every step: post-processing of the released DP iterates, so it costs no privacy; De et al. 2022, section 3),
// INPUTS=pm1 (pixels scaled to [-1, 1] instead of [0, 1]), TRAIN_LIMIT / TEST_LIMIT and STEPS (smoke runs only).
import * as tf from '@tensorflow/tfjs';
import { DPTrainer, SEEDED_RUN_CAVEAT, accuracy, buildModel, loadIdx, toTensors, useBackend } from '../dist/index.js';
import { readFileSync } from 'node:fs';
import { PldAccountant, RdpAccountant } from '@dpledger/accounting';

const env = (k, d) => (process.env[k] === undefined ? d : Number(process.env[k]));
const dir = process.env.DATA ?? '/usr/share/datasets/fashion-mnist';
const epochs = env('EPOCHS', 40);
const batch = env('BATCH', 2048);
const delta = env('DELTA', 1e-5);
const targetEps = env('TARGET_EPS', 3);

const started = performance.now();
const backend = await useBackend(process.env.BACKEND ?? 'wasm');
// Only the tensors outlive this function: the decoded float32 images (188 MB for the training set) are dropped as
// soon as tfjs holds its copy, which keeps the process's peak memory about 220 MB lower.
// INPUTS=pm1 maps the pixels p / 255 to 2 p / 255 - 1 in [-1, 1], in place: a fixed map that reads no statistic of the
// data (so it costs no privacy), centring the tanh CNN's inputs.
const inputs = process.env.INPUTS ?? 'unit';
if (!['unit', 'pm1'].includes(inputs)) throw new Error(`INPUTS must be unit or pm1, got ${inputs}`);
async function split(name, limit) {
  const d = await loadIdx(dir, { split: name, limit });
  if (inputs === 'pm1') for (let i = 0; i < d.images.length; i++) d.images[i] = 2 * d.images[i] - 1;
  return { ...toTensors(d, { layout: 'image' }), count: d.count, manifest: d.manifest };
}
const train = await split('train', process.env.TRAIN_LIMIT ? env('TRAIN_LIMIT') : undefined);
const t = await split('test', process.env.TEST_LIMIT ? env('TEST_LIMIT') : undefined);
const { xs, ys } = train;
const test = { count: t.count };
const model = buildModel('tanh-cnn');
const trainer = new DPTrainer({
  model,
  loss: 'categoricalCrossentropy',
  fromLogits: true,
  optimizer: { kind: 'momentum', learningRate: env('LR', 4), momentum: env('MOMENTUM', 0.9) },
  clipNorm: env('CLIP', 0.1),
  target: { epsilon: targetEps, delta, epochs },
  expectedBatchSize: batch,
  datasetSize: train.count,
  seed: process.env.SEED,
  maxPhysicalBatchSize: env('PHYSICAL', 512),
  accountant: process.env.ACCOUNTANT ?? 'rdp',
});
console.log(
  `backend ${backend}; ${train.count} train / ${test.count} test (manifest ${train.manifest.sha256.slice(0, 16)}); ` +
    `q = ${trainer.samplingProbability.toFixed(5)}, sigma = ${trainer.noiseMultiplier.toFixed(4)} ` +
    `(calibrated for epsilon ${targetEps} over ${epochs} epochs), noise RNG ${trainer.noiseRng}, inputs ${inputs}`,
);
// the process's peak resident memory (VmHWM, every thread included: the shard and noise workers are threads)
const peakRssMb = () => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};
const elapsed = () => ((performance.now() - started) / 1000).toFixed(0);
// EMA of the weights: ema = d ema + (1 - d) w after every step, started at the first step's weights
const emaDecay = process.env.EMA === undefined ? null : env('EMA');
let ema = null;
function updateEma() {
  const ws = model.trainableWeights.map((w) => w.read());
  if (ema === null) ema = ws.map((w) => tf.variable(w.clone(), false));
  else tf.tidy(() => ema.forEach((e, i) => e.assign(e.mul(emaDecay).add(ws[i].mul(1 - emaDecay)))));
}
/** Test accuracy of the model with the EMA weights swapped in (the trained weights are put back after). */
async function emaAccuracy() {
  const saved = model.trainableWeights.map((w) => w.read().clone());
  model.trainableWeights.forEach((w, i) => w.write(ema[i].clone()));
  const a = await accuracy(model, t.xs, t.ys);
  model.trainableWeights.forEach((w, i) => w.write(saved[i]));
  return a;
}
const emaText = async () => (ema === null ? '' : `  EMA ${((await emaAccuracy()) * 100).toFixed(2)}%`);
const history = await trainer.fit(xs, ys, {
  ...(process.env.STEPS ? { steps: env('STEPS') } : { epochs }),
  callbacks: {
    ...(emaDecay === null ? {} : { onStep: updateEma }),
    onEpochEnd: async (epoch, logs) => {
      const testAccuracy = await accuracy(model, t.xs, t.ys);
      const caveat = trainer.noiseRng === 'seeded' ? `; ${SEEDED_RUN_CAVEAT}` : '';
      console.log(
        `epoch ${epoch}  step ${logs.step}  test accuracy ${(testAccuracy * 100).toFixed(2)}%${await emaText()}  ` +
          `epsilon ${trainer.epsilon(delta).toFixed(3)} (${trainer.accountantKind}${caveat})  ${elapsed()} s`,
      );
    },
  },
});
const acc = await accuracy(model, t.xs, t.ys);
const rdp = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(trainer.ledger).getEpsilon(delta);
const pld = new PldAccountant().compose(trainer.ledger).getEpsilon(delta);
const resultCaveat = trainer.noiseRng === 'seeded' ? ` (${SEEDED_RUN_CAVEAT})` : '';
console.log(
  `RESULT test accuracy ${(acc * 100).toFixed(2)}%${await emaText()}  ` +
    `epsilon ${rdp.toFixed(3)} (RDP) / ${pld.toFixed(3)} (PLD)${resultCaveat}` +
    ` at delta ${delta}  steps ${history.steps}  wall ${elapsed()} s  peak RSS ${peakRssMb()} MB`,
);
