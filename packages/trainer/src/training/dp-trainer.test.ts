import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DPTrainer, accuracy, type ReservationClient } from '@dpledger/trainer';
import { RdpAccountant } from '@dpledger/accounting';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function mlp(inputs: number, hidden: number, outputs: number, seed = 1): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [inputs], units: hidden, activation: 'tanh', kernelInitializer: init(seed) }),
      tf.layers.dense({ units: outputs, kernelInitializer: init(seed + 1) }),
    ],
  });
}

function data(n: number, inputs: number, classes: number, seed = 3) {
  const xs = tf.randomUniform([n, inputs], -1, 1, 'float32', seed);
  const ys = tf.oneHot(tf.randomUniform([n], 0, classes, 'int32', seed + 1), classes).toFloat();
  return { xs, ys };
}

const weights = (m: tf.LayersModel) => m.trainableWeights.map((w) => Float32Array.from(w.read().dataSync()));

function base(model: tf.LayersModel, extra: Record<string, unknown> = {}) {
  return {
    model,
    loss: 'categoricalCrossentropy' as const,
    fromLogits: true,
    optimizer: { kind: 'sgd' as const, learningRate: 0.5 },
    clipNorm: 1,
    noiseMultiplier: 1,
    expectedBatchSize: 8,
    datasetSize: 64,
    accountant: 'rdp' as const,
    seed: 1,
    ...extra,
  };
}

describe('DPTrainer steps', () => {
  it('with a tiny clip norm and negligible noise, no weight moves by more than lr * C', async () => {
    const model = mlp(6, 5, 3);
    const { xs, ys } = data(8, 6, 3);
    const lr = 0.5;
    const C = 1e-3;
    const t = new DPTrainer(base(model, { clipNorm: C, noiseMultiplier: 1e-9, optimizer: { kind: 'sgd', learningRate: lr } }));
    const before = weights(model);
    const r = await t.step(xs, ys);
    expect(r.applied).toBe(true);
    const after = weights(model);
    let maxMove = 0;
    let sq = 0;
    after.forEach((w, i) => w.forEach((v, j) => { const d = Math.abs(v - before[i]![j]!); maxMove = Math.max(maxMove, d); sq += d * d; }));
    expect(maxMove).toBeGreaterThan(0);
    expect(Math.sqrt(sq)).toBeLessThanOrEqual(lr * C * (1 + 1e-4)); // 8 examples each clipped to C, divided by 8
    expect(maxMove).toBeLessThanOrEqual(lr * C * (1 + 1e-4));
    expect(t.stepCount).toBe(1);
  });

  it('the update of an empty batch is pure noise with spread lr * sigma * C / expectedBatchSize', async () => {
    const model = mlp(100, 100, 2);
    const lr = 1;
    const sigma = 1.3;
    const C = 2;
    const B = 16;
    const t = new DPTrainer(base(model, { clipNorm: C, noiseMultiplier: sigma, expectedBatchSize: B, datasetSize: 1000, optimizer: { kind: 'sgd', learningRate: lr } }));
    const before = weights(model);
    const r = await t.step(tf.zeros([0, 100]), tf.zeros([0, 2]));
    expect(r).toMatchObject({ applied: true, batchSize: 0 });
    const deltas = weights(model).flatMap((w, i) => Array.from(w, (v, j) => v - before[i]![j]!));
    const n = deltas.length;
    const mean = deltas.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(deltas.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    const want = (lr * sigma * C) / B;
    expect(n).toBe(100 * 100 + 100 + 100 * 2 + 2);
    expect(Math.abs(mean)).toBeLessThan((6 * want) / Math.sqrt(n));
    expect(Math.abs(sd / want - 1)).toBeLessThan(6 / Math.sqrt(2 * n) + 1e-3); // float32 rounding of small deltas
  });

  it('fit draws Poisson batches (some empty, all noised) and logs poisson_sampled(q, gaussian(sigma)) per step', async () => {
    const model = mlp(4, 3, 2);
    const { xs, ys } = data(200, 4, 2);
    const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });
    const t = new DPTrainer(base(model, { expectedBatchSize: 1, datasetSize: 200, accountant: acc }));
    const moved: boolean[] = [];
    let prev = weights(model);
    const h = await t.fit(xs, ys, {
      steps: 30,
      callbacks: {
        onStep: () => {
          const now = weights(model);
          moved.push(now.some((w, i) => w.some((v, j) => v !== prev[i]![j])));
          prev = now;
        },
      },
    });
    expect(h.steps).toBe(30);
    expect(h.batchSizes.filter((b) => b === 0).length).toBeGreaterThan(3); // P(empty) = 0.995^200 = 0.37
    expect(moved.every(Boolean)).toBe(true);
    expect(t.ledger).toEqual({ kind: 'composed', events: [{ kind: 'self_composed', count: 30, event: { kind: 'poisson_sampled', sampling_probability: 0.005, event: { kind: 'gaussian', noise_multiplier: 1 } } }] });
    expect(t.epsilon(1e-5)).toBe(acc.getEpsilon(1e-5));
    await expect(t.fit(xs.slice(0, 10), ys.slice(0, 10), { steps: 1 })).rejects.toMatchObject({ code: 'bad_input' });
  });

  it('shuffle batching is logged under replace_one as gaussian steps at sensitivity 2C, without amplification', async () => {
    const model = mlp(4, 3, 2);
    const { xs, ys } = data(40, 4, 2);
    const t = new DPTrainer(base(model, { sampler: 'shuffle', expectedBatchSize: 10, datasetSize: 40 }));
    const ends: [number, number | undefined][] = [];
    const h = await t.fit(xs, ys, { epochs: 2, validationData: [xs, ys], callbacks: { onEpochEnd: (e, logs) => void ends.push([e, logs.valAccuracy]) } });
    expect(h.batchSizes).toEqual(new Array(8).fill(10));
    expect(ends.map(([e]) => e)).toEqual([1, 2]);
    expect(h.valAccuracy).toEqual(ends.map(([, a]) => a));
    const labels = ys.argMax(1);
    expect(h.valAccuracy[1]).toBeCloseTo(accuracy(model, xs, labels), 10); // one-hot and index labels agree
    for (const a of h.valAccuracy) expect(a).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(t.ledger)).not.toContain('poisson_sampled');
    expect(t.neighboringRelation).toBe('replace_one');
    expect(t.ledger).toEqual({ kind: 'composed', events: [{ kind: 'self_composed', count: 8, event: { kind: 'gaussian', noise_multiplier: 0.5, neighboring_relation: 'replace_one' } }] }); // sensitivity 2C
  });

  it('virtual steps: physical chunks sum to the same update and are accounted once', async () => {
    const { xs, ys } = data(12, 5, 3);
    const run = async (maxPhysicalBatchSize?: number) => {
      const model = mlp(5, 4, 3, 9);
      const t = new DPTrainer(base(model, { maxPhysicalBatchSize, noiseMultiplier: 1e-9, expectedBatchSize: 12 }));
      await t.step(xs, ys);
      return { w: weights(model), ledger: t.ledger };
    };
    const whole = await run();
    const chunked = await run(5);
    chunked.w.forEach((w, i) => w.forEach((v, j) => expect(v).toBeCloseTo(whole.w[i]![j]!, 5)));
    expect(chunked.ledger).toEqual(whole.ledger);
  });

  it('seeded runs are reproducible', async () => {
    const { xs, ys } = data(64, 4, 2);
    const seeded = async () => {
      const model = mlp(4, 3, 2, 5);
      const t = new DPTrainer(base(model, { seed: 42 }));
      await t.fit(xs, ys, { steps: 3 });
      expect(t.noiseRng).toBe('seeded');
      return weights(model);
    };
    expect(await seeded()).toEqual(await seeded());

  });
});

describe('DPTrainer accounting', () => {
  it('adaptive clipping moves C and accounts the whole step as gaussian(sigma), split per Andrew et al.', async () => {
    const model = mlp(4, 3, 2);
    const { xs, ys } = data(64, 4, 2);
    const t = new DPTrainer(base(model, { clipNorm: undefined, adaptiveClipping: { initialClipNorm: 1e-4, targetQuantile: 0.5, learningRate: 0.5, countNoiseMultiplier: 2 }, noiseMultiplier: 1.2 }));
    expect(t.internals.adaptive!.gradientNoiseMultiplier).toBeCloseTo((1.2 ** -2 - (2 * 2) ** -2) ** -0.5, 12);
    await t.fit(xs, ys, { steps: 8 });
    expect(t.clipNorm).toBeGreaterThan(1e-4); // every norm exceeds the tiny start: C grows
    expect(t.ledger).toMatchObject({ events: [{ count: 8, event: { sampling_probability: 0.125, event: { noise_multiplier: 1.2 } } }] });
    expect(() => new DPTrainer(base(model, { clipNorm: undefined, adaptiveClipping: { countNoiseMultiplier: 0.5 }, noiseMultiplier: 1.2 }))).toThrow(/countNoiseMultiplier/);
  });

  it('discrete Gaussian noise is accounted as zcdp with rho <= 1/(2 sigma^2), never poisson_sampled', async () => {
    const model = mlp(4, 3, 2);
    const { xs, ys } = data(64, 4, 2);
    const t = new DPTrainer(base(model, { noise: 'discrete_gaussian', noiseMultiplier: 2 }));
    await t.fit(xs, ys, { steps: 2 });
    const ev = (t.ledger as { events: { count: number; event: { kind: string; rho: number } }[] }).events[0]!;
    expect(ev.count).toBe(2);
    expect(ev.event.kind).toBe('zcdp');
    expect(ev.event.rho).toBeLessThanOrEqual(1 / 8);
    expect(ev.event.rho).toBeGreaterThan(0.99 / 8);
  });

  it('a remote budget refused mid-training stops at the last allowed step with the model at that update', async () => {
    const { xs, ys } = data(64, 4, 2);
    const allowed = 7;
    const calls: string[] = [];
    let granted = 0;
    let ids = 0;
    const client: ReservationClient = {
      async reserve(runId, body) {
        calls.push(`reserve ${runId} ${body.steps}`);
        if (granted + body.steps > allowed) throw Object.assign(new Error('budget exhausted'), { code: 'budget_exhausted', status: 409 });
        granted += body.steps;
        return { id: `r${++ids}`, steps: body.steps };
      },
      async commit(id, used) {
        calls.push(`commit ${id} ${used}`);
      },
    };
    const remoteModel = mlp(4, 3, 2, 7);
    const remote = new DPTrainer(base(remoteModel, { accountant: { client, runId: 'run-1', reserveSteps: 4 } }));
    const h = await remote.fit(xs, ys, { steps: 20 });
    expect(h.stopped).toEqual({ reason: 'budget_exhausted', atStep: allowed });
    expect(remote.stopped).toBe('budget_exhausted');
    expect(remote.stepCount).toBe(allowed);
    expect(calls).toEqual(['reserve run-1 4', 'commit r1 4', 'reserve run-1 4', 'reserve run-1 2', 'commit r2 2', 'reserve run-1 4', 'reserve run-1 2', 'reserve run-1 1', 'commit r3 1', 'reserve run-1 4', 'reserve run-1 2', 'reserve run-1 1']);
    const localModel = mlp(4, 3, 2, 7);
    const local = new DPTrainer(base(localModel));
    await local.fit(xs, ys, { steps: allowed });
    expect(weights(remoteModel)).toEqual(weights(localModel));
    expect(remote.ledger).toEqual(local.ledger);
    expect((await remote.step(xs.slice(0, 2), ys.slice(0, 2))).applied).toBe(false);
  });

  it('target calibrates sigma so the planned epochs end within (epsilon, delta); pld refuses zcdp steps', async () => {
    const { xs, ys } = data(64, 4, 2);
    for (const accountant of ['rdp', 'pld'] as const) {
      const t = new DPTrainer(base(mlp(4, 3, 2), { noiseMultiplier: undefined, target: { epsilon: 2, delta: 1e-5, epochs: 3 }, accountant }));
      expect(t.noiseMultiplier).toBeGreaterThan(0.3);
      await t.fit(xs, ys, { epochs: 3 });
      expect(t.stepCount).toBe(24);
      expect(t.epsilon(1e-5)).toBeLessThanOrEqual(2);
      expect(t.epsilon(1e-5)).toBeGreaterThan(1.9);
    }
    for (const extra of [{ sampler: 'shuffle' }, { noise: 'discrete_gaussian' }]) {
      const t = new DPTrainer(base(mlp(4, 3, 2), { noiseMultiplier: undefined, target: { epsilon: 2, delta: 1e-5, epochs: 2 }, ...extra }));
      await t.fit(xs, ys, { epochs: 2 });
      expect(t.stepCount).toBe(16);
      expect(t.epsilon(1e-5)).toBeLessThanOrEqual(2);
      expect(t.epsilon(1e-5)).toBeGreaterThan(1.9);
    }
    expect(() => new DPTrainer(base(mlp(4, 3, 2), { noise: 'discrete_gaussian', accountant: 'pld' }))).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => new DPTrainer(base(mlp(4, 3, 2), { noiseMultiplier: undefined }))).toThrow(/noiseMultiplier or target/);
  });

  it('leaks no tensors across steps (Gaussian, adaptive, discrete, chunked, Adam)', async () => {
    const { xs, ys } = data(64, 4, 2);
    for (const extra of [{}, { clipNorm: undefined, adaptiveClipping: { countNoiseMultiplier: 2 } }, { noise: 'discrete_gaussian' }, { maxPhysicalBatchSize: 3, optimizer: { kind: 'adam', learningRate: 0.01 } }]) {
      const t = new DPTrainer(base(mlp(4, 3, 2), extra));
      await t.fit(xs, ys, { steps: 2 });
      const before = tf.memory().numTensors;
      await t.fit(xs, ys, { steps: 4 });
      const [xb, yb] = [xs.slice(0, 5), ys.slice(0, 5)];
      await t.step(xb, yb);
      expect(xb.isDisposed || yb.isDisposed || xs.isDisposed).toBe(false); // the caller's tensors stay theirs
      tf.dispose([xb, yb]);
      expect(tf.memory().numTensors - before).toBe(0);
    }
  });
});
