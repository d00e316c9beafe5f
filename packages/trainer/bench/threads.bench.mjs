// Benchmark of the threads option: DPTrainer.step with its per-example work on 1 thread and on `threads` threads
// (the main thread plus workers, each with its own tfjs wasm instance), alternated step by step in one process so a
// busy machine slows both alike. Data and models as ../shared/bench/opacus-side-by-side/dpl_step.mjs (the
// Fashion-MNIST sample, standardised; the MLP 784-512-10 and the tanh CNN). Prints median ms/step of each and the
// median paired ratio; BENCH_BATCHES (default 256) lists the batch sizes, BENCH_THREADS (default 2) the wide count.
import { readdirSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { DPTrainer, buildModel, loadIdx, useBackend } from '../dist/index.js';

const SEED = '000102030405060708090a0b0c0d0e0f'; // a seeded run, for timing only
const SIZES = (process.env.BENCH_BATCHES ?? '256').split(',').map(Number);
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const STEPS = Number(process.env.BENCH_STEPS ?? 15);
const MODELS = (process.env.BENCH_MODELS ?? 'mlp,tanh-cnn').split(',');
// CPU time of each thread of this process (utime + stime, ms), so a busy shared machine can be read through: wall
// times there mostly measure the other tenants. Empty where /proc is missing.
function threadCpu() {
  const out = new Map();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const st = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(f[11]) + Number(f[12])) * 10); // fields 14 and 15 of proc(5), in 10 ms ticks
    }
  } catch {
    // not Linux
  }
  return out;
}
function addCpu(acc, c0, c1) {
  const main = String(process.pid);
  const rest = [];
  for (const [tid, v] of c1) {
    const d = v - (c0.get(tid) ?? 0);
    if (tid === main) acc.main += d;
    else rest.push([tid, d]);
  }
  acc.byTid ??= new Map();
  for (const [tid, d] of rest) acc.byTid.set(tid, (acc.byTid.get(tid) ?? 0) + d);
  acc.rest = [...acc.byTid.values()];
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const backend = await useBackend(process.env.BENCH_BACKEND ?? 'wasm');
const data = await loadIdx(new URL('../fixtures/fashion-mnist-sample', import.meta.url).pathname, { split: 'train' });
const px = Float32Array.from(data.images, (v) => (v - 0.286) / 0.353); // the side-by-side anchor's standardisation
console.log(`backend ${backend}; 1 thread vs ${THREADS}; ${STEPS} timed steps each, alternated, after 3 warm-up`);

for (const name of MODELS) {
  for (const B of SIZES) {
    const shape = name === 'mlp' ? [B, 784] : [B, 28, 28, 1];
    // the sample's images in order, cycled when B exceeds it
    const rows = Int32Array.from({ length: B }, (_, i) => i % data.count);
    const x = tf.tensor(
      Float32Array.from({ length: B * 784 }, (_, i) => px[rows[(i / 784) | 0] * 784 + (i % 784)]),
      shape,
    );
    const y = tf.tidy(() =>
      tf
        .oneHot(
          tf.tensor1d(
            Int32Array.from(rows, (r) => data.labels[r]),
            'int32',
          ),
          10,
        )
        .toFloat(),
    );
    const make = (threads) =>
      new DPTrainer({
        model: buildModel(name, { seed: 1 }),
        loss: 'categoricalCrossentropy',
        fromLogits: true,
        optimizer: { kind: 'sgd', learningRate: 0.05 },
        clipNorm: 1,
        noiseMultiplier: 1,
        expectedBatchSize: B,
        datasetSize: 60000,
        seed: SEED,
        threads,
      });
    const [one, wide] = [make(1), make(THREADS)];
    const time = async (t) => {
      const t0 = performance.now();
      await t.step(x, y);
      return performance.now() - t0;
    };
    let firstWide = 0; // the wide trainer's first step also starts its workers (a tfjs and wasm load each)
    for (let k = 0; k < 3; k++) {
      await time(one);
      const ms = await time(wide);
      if (k === 0) firstWide = ms;
    }
    const a = [];
    const b = [];
    const cpu = { one: { main: 0, rest: [] }, wide: { main: 0, rest: [] } };
    for (let k = 0; k < STEPS; k++) {
      for (const [t, out, key] of [
        [one, a, 'one'],
        [wide, b, 'wide'],
      ]) {
        const c0 = threadCpu();
        out.push(await time(t));
        const c1 = threadCpu();
        addCpu(cpu[key], c0, c1);
      }
    }
    const ratio = median(b.map((v, i) => a[i] / v));
    const per = (c) =>
      `main ${(c.main / STEPS).toFixed(1)}, others ${c.rest
        .sort((p, q) => q - p)
        .slice(0, 3)
        .map((v) => (v / STEPS).toFixed(1))
        .join(' + ')}`;
    console.log(
      `${name.padEnd(8)} B=${String(B).padEnd(5)} 1 thread ${median(a).toFixed(1).padStart(7)} ms   ` +
        `${THREADS} threads ${median(b).toFixed(1).padStart(7)} ms   speed-up ${ratio.toFixed(2)}x`,
    );
    console.log(`   first ${THREADS}-thread step (starting its workers) ${firstWide.toFixed(0)} ms`);
    if (cpu.one.main > 0)
      console.log(
        `   CPU ms/step by thread (Linux /proc, 10 ms ticks): 1 thread: ${per(cpu.one)};  ` +
          `${THREADS} threads: ${per(cpu.wide)}`,
      );
    await Promise.all([one.close(), wide.close()]);
    tf.dispose([x, y]);
  }
}
