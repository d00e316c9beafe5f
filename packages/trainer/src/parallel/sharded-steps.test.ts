import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DPTrainer, TrainerError, buildModel, useBackend } from '@dpledger/trainer';
import * as fixtures from '../per-sample/models.fixture.js';
import { referenceClippedSum, referenceGrads, relErr } from '../per-sample/reference-loop.fixture.js';
import { planChunks } from './chunk-plan.js';
import { ShardedSteps, shardFaults } from './sharded-steps.js';
import { checkThreads, stepThreads, weightReuse } from './thread-count.js';

const SEED = '000102030405060708090a0b0c0d0e0f';
const weights = (m: tf.LayersModel) => m.trainableWeights.map((w) => Float32Array.from(w.read().dataSync()));
const bits = (ws: Float32Array[]) => ws.map((w) => Array.from(new Uint32Array(w.buffer)));
const code = (e: unknown) => (e instanceof TrainerError ? e.code : String(e));
const open: DPTrainer[] = [];
// Each test starts fresh worker threads (a tfjs load each): give them room on a busy 2-core machine.
vi.setConfig({ testTimeout: 240_000 });

function model(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [6, 6, 1],
        filters: 3,
        kernelSize: 3,
        activation: 'tanh',
        kernelInitializer: init(1),
      }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 4, kernelInitializer: init(3) }),
    ],
  });
}

function data(n: number) {
  const xs = tf.randomNormal([n, 6, 6, 1], 0, 1, 'float32', 5);
  const ys = tf.oneHot(tf.randomUniform([n], 0, 4, 'int32', 6), 4).toFloat();
  return { xs, ys };
}

function trainer(extra: Record<string, unknown>, m = model()): DPTrainer {
  const t = new DPTrainer({
    model: m,
    loss: 'categoricalCrossentropy',
    fromLogits: true,
    optimizer: { kind: 'sgd', learningRate: 0.5 },
    clipNorm: 0.5,
    noiseMultiplier: 1,
    expectedBatchSize: 24,
    datasetSize: 240,
    seed: SEED,
    ...extra,
  });
  open.push(t);
  return t;
}

afterAll(async () => {
  await Promise.all(open.map((t) => t.close()));
  await tf.setBackend('cpu');
});

describe('planChunks', () => {
  it('cuts the batch into min(maxPhysicalBatchSize, ceil(b / threads)) chunks, contiguous, thread 0 first', () => {
    expect(planChunks(256, 2)).toEqual({
      chunks: [
        [0, 128],
        [128, 256],
      ],
      owner: [0, 1],
    });
    expect(planChunks(7, 2)).toEqual({
      chunks: [
        [0, 4],
        [4, 7],
      ],
      owner: [0, 1],
    });
    expect(planChunks(10, 2, 3)).toEqual({
      chunks: [
        [0, 3],
        [3, 6],
        [6, 8],
        [8, 10],
      ],
      owner: [0, 0, 1, 1],
    });
    expect(planChunks(1, 3)).toEqual({ chunks: [[0, 1]], owner: [0] });
    expect(planChunks(0, 2)).toEqual({ chunks: [], owner: [] });
    expect(planChunks(9, 1, 4)).toEqual({
      chunks: [
        [0, 3],
        [3, 6],
        [6, 9],
      ],
      owner: [0, 0, 0],
    }); // one thread: the fewest chunks of at most 4, near-equal
  });

  it('gives every thread the same share of a Poisson batch: chunk counts a multiple of the threads', () => {
    // 2,050 at 512 per chunk on 2 threads: 6 chunks of 341-342, 3 per thread (fixed 512-chunks split 1,536 / 514)
    const p = planChunks(2050, 2, 512);
    expect(p.chunks.map(([a, b]) => b - a)).toEqual([342, 342, 342, 342, 341, 341]);
    expect(p.owner).toEqual([0, 0, 0, 1, 1, 1]);
    for (const [b, t, m] of [
      [2048, 2, 512],
      [1999, 2, 512],
      [257, 3, 64],
      [5, 2, 1],
      [100, 4, undefined],
    ] as const) {
      const { chunks, owner } = planChunks(b, t, m);
      expect(chunks[0]![0]).toBe(0);
      expect(chunks.at(-1)![1]).toBe(b);
      chunks.forEach(([from, to], j) => {
        expect(to).toBeGreaterThan(from);
        if (m !== undefined) expect(to - from).toBeLessThanOrEqual(m);
        if (j > 0) expect(from).toBe(chunks[j - 1]![1]);
      });
      const share = Array.from({ length: t }, (_, w) =>
        chunks.filter((_, j) => owner[j] === w).reduce((a, [from, to]) => a + to - from, 0),
      );
      if (chunks.length % t === 0)
        expect(Math.max(...share) - Math.min(...share)).toBeLessThanOrEqual(chunks.length / t);
    }
  });
});

describe('threads option', () => {
  const base = { loss: 'categoricalCrossentropy' as const, expectedBatchSize: 256 };
  it("'auto' shards on wasm/cpu under Node: a thread per core, each >= 96 examples and >= 128 examples x reuse", () => {
    const cnn = { ...base, reuse: 16 };
    expect(stepThreads(cnn, 'wasm', 2)).toBe(2);
    expect(stepThreads(cnn, 'cpu', 4)).toBe(2);
    expect(stepThreads({ ...cnn, expectedBatchSize: 1024 }, 'cpu', 4)).toBe(4);
    expect(stepThreads({ ...cnn, expectedBatchSize: 192 }, 'wasm', 8)).toBe(2);
    expect(stepThreads({ ...cnn, expectedBatchSize: 191 }, 'wasm', 2)).toBe(1);
    expect(stepThreads(cnn, 'wasm', 1)).toBe(1);
    // an MLP (reuse 1): 128 examples per thread and more repay a thread's fixed cost, 64 do not
    expect(stepThreads(base, 'wasm', 2)).toBe(2);
    expect(stepThreads({ ...base, expectedBatchSize: 255 }, 'wasm', 2)).toBe(1);
    expect(stepThreads({ ...base, expectedBatchSize: 128 }, 'wasm', 2)).toBe(1);
    expect(stepThreads({ ...base, expectedBatchSize: 1024 }, 'wasm', 8)).toBe(8);
    for (const b of ['webgpu', 'webgl', 'tensorflow']) expect(stepThreads(cnn, b, 8)).toBe(1);
    expect(stepThreads({ ...cnn, loss: { perExample: (y) => y.sum(1) as tf.Tensor1D } }, 'wasm', 2)).toBe(1);
  });

  it('weight reuse: multiply-adds per example per parameter, 1 for an MLP, h x w positions for a convolution', () => {
    expect(weightReuse(buildModel('mlp'))).toBe(1);
    // tanh CNN: conv 1040 params at 14 x 14, conv 8224 at 5 x 5, dense 16416 and 330 at 1
    expect(weightReuse(buildModel('tanh-cnn'))).toBeCloseTo((1040 * 196 + 8224 * 25 + 16416 + 330) / 26010, 10);
  });

  it('an explicit count is used as is; refused if invalid, on a GPU backend, or with a loss fn or custom rules', () => {
    expect(stepThreads({ ...base, threads: 3, expectedBatchSize: 4 }, 'cpu', 2)).toBe(3);
    for (const threads of [0, 1.5, -1, Number.NaN])
      expect(() => checkThreads({ ...base, threads })).toThrow(/threads must be/);
    expect(() => stepThreads({ ...base, threads: 2 }, 'webgpu', 2)).toThrow(/wasm or cpu backend only/);
    expect(() => checkThreads({ ...base, threads: 2, loss: { perExample: (y) => y.sum(1) as tf.Tensor1D } })).toThrow(
      /loss function/,
    );
    expect(() => trainer({ threads: 2, rules: { vectorized: new Map(), refused: new Map() } })).toThrow(
      /custom layer rules/,
    );
  });
});

/** Two steps of threads: 2 against one thread cut into the same chunks: the same bits. */
async function sameBits(sharded: Record<string, unknown>, single: Record<string, unknown>) {
  const { xs, ys } = data(24);
  const [a, b] = [trainer(sharded), trainer(single)];
  for (let k = 0; k < 2; k++) {
    expect((await a.step(xs, ys)).applied).toBe(true);
    expect((await b.step(xs, ys)).applied).toBe(true);
  }
  expect(bits(weights(a.model))).toEqual(bits(weights(b.model)));
  const one = trainer({ threads: 1 }); // one unchunked thread differs only by float32 rounding
  for (let k = 0; k < 2; k++) await one.step(xs, ys);
  weights(one.model).forEach((w, i) => expect(relErr(w, weights(a.model)[i]!)).toBeLessThan(1e-5));
  tf.dispose([xs, ys]);
}

describe('sharded steps on cpu', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('threads: 2 gives the bits of one thread with the same chunks', async () => {
    await sameBits({ threads: 2 }, { threads: 1, maxPhysicalBatchSize: 12 });
  });
});

describe('sharded steps on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterEach(() => {
    shardFaults.exitInStep = false;
    shardFaults.planAs = null;
  });

  it('threads: 2 gives the bits of one thread with the same chunks', async () => {
    await sameBits({ threads: 2 }, { threads: 1, maxPhysicalBatchSize: 12 });
  });

  it('threads: 2 with maxPhysicalBatchSize gives the bits of one thread with the same chunks', async () => {
    // 24 at most 5 per chunk: 5 chunks on one thread, 6 of 4 on two; one thread at 4 per chunk cuts the same 6
    await sameBits({ threads: 2, maxPhysicalBatchSize: 5 }, { threads: 1, maxPhysicalBatchSize: 4 });
  });

  it('fit, Poisson batches: threads: 2 gives the bits and private losses of one thread, same chunks', async () => {
    const { xs, ys } = data(240);
    const [a, b] = [trainer({ threads: 2, maxPhysicalBatchSize: 4 }), trainer({ threads: 1, maxPhysicalBatchSize: 4 })];
    const ha = await a.fit(xs, ys, { steps: 3 });
    shardFaults.planAs = 2; // the one-thread trainer cuts each Poisson batch into the two-thread chunks
    const hb = await b.fit(xs, ys, { steps: 3 });
    expect(ha.private).toEqual(hb.private);
    expect(bits(weights(a.model))).toEqual(bits(weights(b.model)));
    expect(a.epsilon(1e-3)).toBe(b.epsilon(1e-3));
    tf.dispose([xs, ys]);
  });

  it('adaptive clipping: per-example norms from the workers move the clip norm exactly as on one thread', async () => {
    const { xs, ys } = data(240);
    const adaptive = {
      clipNorm: undefined,
      adaptiveClipping: { initialClipNorm: 0.05, targetQuantile: 0.5 },
      maxPhysicalBatchSize: 4,
    };
    const [a, b] = [trainer({ ...adaptive, threads: 2 }), trainer({ ...adaptive, threads: 1 })];
    const norms = async (t: DPTrainer) => {
      const out: number[] = [];
      await t.fit(xs, ys, { steps: 3, callbacks: { onStep: () => void out.push(t.clipNorm) } });
      return out;
    };
    const na = await norms(a);
    shardFaults.planAs = 2;
    const nb = await norms(b);
    expect(na).toEqual(nb);
    expect(new Set(na).size).toBeGreaterThan(1); // the clip norm moved
    expect(bits(weights(a.model))).toEqual(bits(weights(b.model)));
    tf.dispose([xs, ys]);
  });

  it("the shards' summed clipped sums, norms and losses equal the cpu per-example loop (1e-5 relative)", async () => {
    for (const c of [fixtures.mlp(9), fixtures.tanhCnn(5)]) {
      await tf.setBackend('cpu');
      const ref = referenceGrads(c.model, c.xs, c.ys, c.ref);
      const want = referenceClippedSum(ref, [c.model.trainableWeights.map((_, i) => i)], [0.1]);
      await useBackend('wasm');
      const s = new ShardedSteps(c.model, { threads: 2, loss: c.loss, expectedBatchSize: 9 });
      await s.prepare('test');
      const got: Float32Array[][] = [];
      const norms: number[] = [];
      let lossSum = 0;
      const b = c.xs.shape[0]!;
      await s.forEachChunk(
        b,
        (f, t) => [c.xs.slice(f, t - f), c.ys.slice(f, t - f)],
        { loss: c.loss, clipping: { kind: 'flat', clipNorm: 0.1 } },
        (r) => {
          got.push(r.sums.map((t) => Float32Array.from(t.dataSync())));
          norms.push(...r.norms.dataSync());
          lossSum += r.lossSum.dataSync()[0]!;
          tf.dispose([r.sums, r.norms, r.lossSum]);
        },
      );
      s.close();
      expect(got).toHaveLength(2); // the main thread's chunk and the worker's
      want.forEach((w, i) =>
        expect(
          relErr(
            got[0]![i]!.map((v, j) => v + got[1]![i]![j]!),
            w,
          ),
        ).toBeLessThan(1e-5),
      );
      expect(norms).toHaveLength(b);
      norms.forEach((n, i) => expect(Math.abs(n - ref.norms[i]!) / ref.norms[i]!).toBeLessThan(1e-5));
      expect(Math.abs(lossSum - ref.lossSum) / ref.lossSum).toBeLessThan(1e-5);
    }
  });

  it('dead worker: worker_error, weights and ledger untouched, whether it dies mid-step or between steps', async () => {
    const { xs, ys } = data(24);
    const t = trainer({ threads: 2 });
    await t.step(xs, ys);
    let before = bits(weights(t.model));
    shardFaults.exitInStep = true; // the worker exits on receiving its part of the step
    const e = await t.step(xs, ys).catch((x: unknown) => x);
    shardFaults.exitInStep = false;
    expect(code(e)).toBe('worker_error');
    expect(bits(weights(t.model))).toEqual(before);
    expect(t.stepCount).toBe(1);
    expect((await t.step(xs, ys)).applied).toBe(true); // on fresh workers
    expect(t.stepCount).toBe(2);

    const ledger = JSON.stringify(t.ledger);
    before = bits(weights(t.model));
    const pool = (t as unknown as { shards: { pool: { slots: Array<{ worker: { terminate(): Promise<number> } }> } } })
      .shards.pool;
    await pool.slots[0]!.worker.terminate(); // killed while idle
    const e2 = await t.step(xs, ys).catch((x: unknown) => x);
    expect(code(e2)).toBe('worker_error');
    expect(JSON.stringify(t.ledger)).toBe(ledger);
    expect(bits(weights(t.model))).toEqual(before);
    expect(t.stepCount).toBe(2);
    expect((await t.step(xs, ys)).applied).toBe(true);
    tf.dispose([xs, ys]);
  });

  it("unrebuildable custom layer: 'auto' runs on one thread; threads: 2 throws worker_error unaccounted", async () => {
    class Doubler extends tf.layers.Layer {
      static className = 'DoublerOnlyOnTheMainThread';
      override call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.mul(Array.isArray(x) ? x[0]! : x, 2);
      }
    }
    tf.serialization.registerClass(Doubler);
    const custom = () => {
      const m = model();
      return tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [6, 6, 1] }), new Doubler({}), ...m.layers] });
    };
    const { xs, ys } = data(24);
    // 'auto' asks for 2 threads at B = 800
    const auto = trainer({ expectedBatchSize: 800, datasetSize: 8000 }, custom());
    expect((await auto.step(xs, ys)).applied).toBe(true);
    expect((auto as unknown as { shards: ShardedSteps }).shards.threads).toBe(1);
    const two = trainer({ threads: 2 }, custom());
    const ledger = JSON.stringify(two.ledger);
    expect(code(await two.step(xs, ys).catch((x: unknown) => x))).toBe('worker_error');
    expect(JSON.stringify(two.ledger)).toBe(ledger);
    expect(two.stepCount).toBe(0);
    tf.dispose([xs, ys]);
  });

  it('close() terminates the workers (a later step would start new ones)', async () => {
    const { xs, ys } = data(24);
    const t = trainer({ threads: 2 });
    await t.step(xs, ys);
    const pool = (t as unknown as { shards: { pool: { slots: Array<{ worker: { threadId: number } }> } | null } })
      .shards.pool!;
    const exited = new Promise((resolve) =>
      (pool.slots[0]!.worker as unknown as { once(e: string, f: (c: number) => void): void }).once('exit', resolve),
    );
    await t.close();
    await exited;
    expect((t as unknown as { shards: { pool: unknown } }).shards.pool).toBeNull();
    tf.dispose([xs, ys]);
  });
});
