// `npm run bench:gpu`: DP-SGD on a real GPU through WebGPU (Dawn in Node, on the GPU's Vulkan driver, e.g. NVIDIA's).
// For the MLP and the tanh CNN at B = 256 and 1024 it prints ms per step of a DPTrainer step and of a plain
// non-private SGD step of the same model, their ratio, and samples/s. Each timed step ends with a read of the last
// weight, so the GPU work is finished inside the timing. Exits 0, saying so, when no GPU adapter exists here.
// BENCH_GPU_BATCHES=64,128 changes the batch sizes; BENCH_REPS the paired repetitions (default 5);
// BENCH_GPU_ALLOW_SOFTWARE=1 runs on a software adapter (SwiftShader, lavapipe) to try the script on a CPU-only
// machine.
import * as tf from '@tensorflow/tfjs';
import { DPTrainer, backendChoice, buildModel, useBackend } from '../dist/index.js';

const BATCHES = (process.env.BENCH_GPU_BATCHES ?? '256,1024').split(',').map(Number);
const REPS = Number(process.env.BENCH_REPS ?? 5);
const SEED = '000102030405060708090a0b0c0d0e0f'; // a seeded (ChaCha20) run, for timing only
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const allowSoftware = process.env.BENCH_GPU_ALLOW_SOFTWARE === '1';
const backend = await useBackend(allowSoftware ? 'webgpu' : 'auto').catch((e) => e);
const choice = backendChoice();
if (backend !== 'webgpu') {
  console.log(
    'bench:gpu: no GPU adapter here, nothing measured ' +
      `(${backend instanceof Error ? backend.message : choice?.reason}).`,
  );
  console.log(
    'bench:gpu: needs a GPU with a Vulkan driver (NVIDIA: the proprietary driver with its Vulkan ICD) ' +
      'and the optional npm packages webgpu and @tensorflow/tfjs-backend-webgpu.',
  );
  process.exit(0);
}
tf.env().set('WEBGPU_CPU_FORWARD', false);
console.log(`bench:gpu: ${choice.reason}; ${REPS} paired reps, ms per step (median)`);

async function time(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Alternates plain and DP after one warm-up each; median ms of both and the median paired ratio. */
async function compare(plain, dp) {
  await plain();
  await dp();
  const a = [];
  const b = [];
  for (let i = 0; i < REPS; i++) {
    a.push(await time(plain));
    b.push(await time(dp));
  }
  return { plain: median(a), dp: median(b), ratio: median(b.map((t, i) => t / a[i])) };
}

const rows = [];
for (const name of ['mlp', 'tanh-cnn']) {
  for (const B of BATCHES) {
    const model = buildModel(name, { seed: 1 });
    const shape = name === 'mlp' ? [B, 784] : [B, 28, 28, 1];
    const x = tf.randomUniform(shape, 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.randomUniform([B], 0, 10, 'int32', 2), 10).toFloat();
    const finished = async () => void (await model.trainableWeights.at(-1).read().data());
    const sgd = tf.train.sgd(0.01);
    const plain = async () => {
      tf.tidy(() => sgd.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })), false));
      await finished();
    };
    const trainer = new DPTrainer({
      model,
      loss: 'categoricalCrossentropy',
      fromLogits: true,
      optimizer: { kind: 'sgd', learningRate: 0.01 },
      clipNorm: 1,
      noiseMultiplier: 1.1,
      expectedBatchSize: B,
      datasetSize: 60000,
      seed: SEED,
    });
    const dp = async () => {
      await trainer.step(x, y);
      await finished();
    };
    const r = await compare(plain, dp);
    const row = {
      model: name,
      B,
      plain_ms: +r.plain.toFixed(2),
      dp_ms: +r.dp.toFixed(2),
      dp_over_plain: +r.ratio.toFixed(2),
      plain_samples_per_s: Math.round((B * 1000) / r.plain),
      dp_samples_per_s: Math.round((B * 1000) / r.dp),
    };
    rows.push(row);
    console.log(
      `${name.padEnd(9)} B=${String(B).padStart(5)}  plain ${r.plain.toFixed(1).padStart(8)} ms  ` +
        `DP ${r.dp.toFixed(1).padStart(8)} ms  DP/plain ${r.ratio.toFixed(2).padStart(6)}  ` +
        `samples/s plain ${String(row.plain_samples_per_s).padStart(8)}  ` +
        `DP ${String(row.dp_samples_per_s).padStart(8)}`,
    );
    await trainer.close();
    tf.dispose([x, y]);
    sgd.dispose();
    model.dispose();
  }
}
console.log(`RESULT ${JSON.stringify({ adapter: choice.reason, rows })}`);
process.exit(0);
