import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  SecureRandomSource,
  SeededRandomSource,
  DPTrainer,
  accuracy,
  clippedGradSum,
  fillGaussian,
  perSampleGradNorms,
  type ReservationClient,
} from '@dpledger/trainer';
import { GaussianNoiseStream } from './noise-prefetch.js';
import { RdpAccountant, stepsForEpochs } from '@dpledger/accounting';

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

const SEED = '000102030405060708090a0b0c0d0e0f';
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
    seed: SEED,
    ...extra,
  };
}

describe('DPTrainer steps', () => {
  it('with a tiny clip norm and negligible noise, no weight moves by more than lr * C', async () => {
    const model = mlp(6, 5, 3);
    const { xs, ys } = data(8, 6, 3);
    const lr = 0.5;
    const C = 1e-3;
    const t = new DPTrainer(
      base(model, { clipNorm: C, noiseMultiplier: 1e-9, optimizer: { kind: 'sgd', learningRate: lr } }),
    );
    const before = weights(model);
    const r = await t.step(xs, ys);
    expect(r.applied).toBe(true);
    const after = weights(model);
    let maxMove = 0;
    let sq = 0;
    after.forEach((w, i) =>
      w.forEach((v, j) => {
        const d = Math.abs(v - before[i]![j]!);
        maxMove = Math.max(maxMove, d);
        sq += d * d;
      }),
    );
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
    const t = new DPTrainer(
      base(model, {
        clipNorm: C,
        noiseMultiplier: sigma,
        expectedBatchSize: B,
        datasetSize: 1000,
        optimizer: { kind: 'sgd', learningRate: lr },
      }),
    );
    const before = weights(model);
    const r = await t.step(tf.zeros([0, 100]), tf.zeros([0, 2]));
    expect(r).toMatchObject({ applied: true, private: { batchSize: 0 } });
    const deltas = weights(model).flatMap((w, i) => Array.from(w, (v, j) => v - before[i]![j]!));
    const n = deltas.length;
    const mean = deltas.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(deltas.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    const want = (lr * sigma * C) / B;
    expect(n).toBe(100 * 100 + 100 + 100 * 2 + 2);
    expect(Math.abs(mean)).toBeLessThan((6 * want) / Math.sqrt(n));
    expect(Math.abs(sd / want - 1)).toBeLessThan(6 / Math.sqrt(2 * n) + 1e-3); // float32 rounding of small deltas
  });

  it('fit: Poisson batches (some empty, all noised), poisson_sampled(q, gaussian(sigma)) logged per step', async () => {
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
    expect(h.private.batchSizes.filter((b) => b === 0).length).toBeGreaterThan(3); // P(empty) = 0.995^200 = 0.37
    expect(moved.every(Boolean)).toBe(true);
    expect(t.ledger).toEqual({
      kind: 'composed',
      events: [
        {
          kind: 'self_composed',
          count: 30,
          event: {
            kind: 'poisson_sampled',
            sampling_probability: 0.005,
            event: { kind: 'gaussian', noise_multiplier: 1 },
          },
        },
      ],
    });
    // against an accountant of its own (acc is the trainer's, so comparing with it would compare a value with itself)
    const step = {
      kind: 'poisson_sampled',
      sampling_probability: 0.005,
      event: { kind: 'gaussian', noise_multiplier: 1 },
    } as const;
    const independent = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' })
      .compose(step, 30)
      .getEpsilon(1e-5);
    expect(independent).toBeGreaterThan(0);
    expect(t.epsilon(1e-5)).toBe(independent);
    expect(acc.ledger).toEqual(t.ledger); // the accountant handed in is the one that was charged
    await expect(t.fit(xs.slice(0, 10), ys.slice(0, 10), { steps: 1 })).rejects.toMatchObject({ code: 'bad_input' });
  });

  it('hands out the un-noised loss and realised batch size only under `private`, not as ordinary fields', async () => {
    const model = mlp(4, 3, 2);
    const { xs, ys } = data(64, 4, 2);
    const t = new DPTrainer(base(model, { privateLoss: true }));
    const steps: Record<string, unknown>[] = [];
    const h = await t.fit(xs, ys, { steps: 3, callbacks: { onStep: (r) => void steps.push({ ...r }) } });
    for (const r of steps) {
      expect(Object.keys(r).sort()).toEqual(['applied', 'clipNorm', 'private', 'step']);
      expect(Object.keys(r['private'] as object).sort()).toEqual(['batchSize', 'loss']);
    }
    expect(Object.keys(h).sort()).toEqual(['noisyLoss', 'private', 'steps', 'valAccuracy']);
    expect(h.private.loss).toHaveLength(3);
    expect(h.private.batchSizes).toEqual(steps.map((r) => (r['private'] as { batchSize: number }).batchSize));
    const one = await t.step(xs.slice(0, 5), ys.slice(0, 5));
    expect(Object.keys(one).sort()).toEqual(['applied', 'clipNorm', 'private', 'step']);
    expect(one.private.batchSize).toBe(5);
    expect(one.private.loss).toBeGreaterThan(0);
  });

  it('shuffle batching is logged under replace_one as gaussian steps at sensitivity 2C, unamplified', async () => {
    const model = mlp(4, 3, 2);
    const { xs, ys } = data(40, 4, 2);
    const t = new DPTrainer(base(model, { sampler: 'shuffle', expectedBatchSize: 10, datasetSize: 40 }));
    const ends: [number, number | undefined][] = [];
    const h = await t.fit(xs, ys, {
      epochs: 2,
      validationData: [xs, ys],
      callbacks: { onEpochEnd: (e, logs) => void ends.push([e, logs.valAccuracy]) },
    });
    expect(h.private.batchSizes).toEqual(new Array(8).fill(10));
    expect(ends.map(([e]) => e)).toEqual([1, 2]);
    expect(h.valAccuracy).toEqual(ends.map(([, a]) => a));
    const labels = ys.argMax(1);
    expect(h.valAccuracy[1]).toBeCloseTo(await accuracy(model, xs, labels), 10); // one-hot and index labels agree
    // the last epoch's accuracy, counted by hand from the final model's predictions (not by accuracy())
    const predicted = (model.predict(xs) as tf.Tensor).argMax(-1).arraySync() as number[];
    const truth = labels.arraySync() as number[];
    expect(h.valAccuracy[1]).toBe(predicted.filter((p, i) => p === truth[i]).length / 40);
    for (const a of h.valAccuracy) expect(Number.isInteger(a * 40) && a >= 0 && a <= 1).toBe(true); // k of 40 right
    expect(JSON.stringify(t.ledger)).not.toContain('poisson_sampled');
    expect(t.neighboringRelation).toBe('replace_one');
    expect(t.ledger).toEqual({
      kind: 'composed',
      events: [
        {
          kind: 'self_composed',
          count: 8,
          event: { kind: 'gaussian', noise_multiplier: 0.5, neighboring_relation: 'replace_one' },
        },
      ],
    }); // sensitivity 2C
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

  it("per-layer clipping: each example's layer l is clipped to C_l; noise sized for sqrt(sum C_l^2)", async () => {
    // one per dense layer (kernel and bias together); sensitivity sqrt(0.03^2 + 0.04^2) = 0.05
    const clipNorms = [0.03, 0.04];
    const { xs, ys } = data(6, 4, 2);
    const model = mlp(4, 3, 2, 5);
    const t = new DPTrainer(
      base(model, {
        clipNorm: undefined,
        clipping: { kind: 'per_layer', clipNorms },
        noiseMultiplier: 1e-9,
        expectedBatchSize: 6,
        optimizer: { kind: 'sgd', learningRate: 1 },
      }),
    );
    expect(t.clipNorm).toBeCloseTo(0.05, 12);
    // the expected update, by hand: each example's gradient from tf.variableGrads, each layer scaled to norm <= C_l
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const want = vars.map((v) => new Float64Array(v.size));
    let clippedLayers = 0;
    for (let i = 0; i < 6; i++) {
      const g = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(ys.slice(i, 1), model.apply(xs.slice(i, 1)) as tf.Tensor) as tf.Scalar,
        vars,
      );
      const flat = vars.map((v) => g.grads[v.name]!.dataSync());
      [
        [0, 1],
        [2, 3],
      ].forEach(([kernel, bias], layer) => {
        const norm = Math.hypot(...flat[kernel!]!, ...flat[bias!]!);
        const scale = Math.min(1, clipNorms[layer]! / norm);
        if (scale < 1) clippedLayers++;
        for (const k of [kernel!, bias!]) flat[k]!.forEach((x, j) => (want[k]![j]! += (x * scale) / 6));
      });
      tf.dispose([g.value, ...Object.values(g.grads)]);
    }
    expect(clippedLayers).toBe(12); // every layer of every example is over its threshold, so each C_l shows
    const before = weights(model);
    await t.step(xs, ys);
    weights(model).forEach((w, k) => w.forEach((v, j) => expect(before[k]![j]! - v).toBeCloseTo(want[k]![j]!, 6)));

    // the noise of an empty batch: spread lr * sigma * sqrt(sum C_l^2) / B, not a flat C's
    const wide = mlp(100, 100, 2);
    const noisy = new DPTrainer(
      base(wide, {
        clipNorm: undefined,
        clipping: { kind: 'per_layer', clipNorms: [3, 4] },
        noiseMultiplier: 1.3,
        expectedBatchSize: 16,
        datasetSize: 1000,
        optimizer: { kind: 'sgd', learningRate: 1 },
      }),
    );
    const start = weights(wide);
    await noisy.step(tf.zeros([0, 100]), tf.zeros([0, 2]));
    const deltas = weights(wide).flatMap((w, i) => Array.from(w, (v, j) => v - start[i]![j]!));
    const sd = Math.sqrt(deltas.reduce((a, b) => a + b * b, 0) / deltas.length);
    expect(Math.abs(sd / ((1.3 * 5) / 16) - 1)).toBeLessThan(6 / Math.sqrt(2 * deltas.length) + 1e-3);
    expect(noisy.ledger).toEqual({
      kind: 'composed',
      events: [{ kind: 'gaussian', noise_multiplier: 1.3, neighboring_relation: 'add_or_remove_one' }],
    }); // caller-drawn
  });
});

describe('DPTrainer randomness', () => {
  const secure = (model: tf.LayersModel, extra: Record<string, unknown> = {}) =>
    base(model, { seed: undefined, ...extra });

  it('secure by default: no seed and no secureMode draw from the platform CSPRNG; runs differ in noise', async () => {
    const { xs, ys } = data(8, 4, 2);
    const run = async () => {
      const model = mlp(4, 3, 2, 5);
      const t = new DPTrainer(secure(model));
      expect(t.noiseRng).toBe('secure');
      expect(t.internals.rng).toBeInstanceOf(SecureRandomSource);
      await t.step(xs, ys);
      await t.close();
      return weights(model);
    };
    const [a, b] = [await run(), await run()];
    // same data, same init: only the noise differs
    expect(a.some((w, i) => w.some((v, j) => v !== b[i]![j]))).toBe(true);
    expect(new DPTrainer(secure(mlp(4, 3, 2), { secureMode: true })).noiseRng).toBe('secure');
  });

  it('refuses numeric and short seeds, secureMode: false without a seed, and secureMode: true with one', () => {
    const bad: Record<string, unknown>[] = [
      { seed: 42 },
      { seed: 2 ** 52 },
      { seed: 'deadbeef' },
      { seed: '0'.repeat(31) },
      { seed: 'g'.repeat(32) },
      { seed: new Uint8Array(15) },
      { seed: undefined, secureMode: false },
      { secureMode: true },
      { secureMode: true, seed: new Uint8Array(16) },
    ];
    for (const extra of bad)
      expect(() => new DPTrainer(base(mlp(4, 3, 2), extra)), JSON.stringify(extra)).toThrow(
        expect.objectContaining({ code: 'invalid_argument' }),
      );
    expect(new DPTrainer(base(mlp(4, 3, 2), { secureMode: false })).noiseRng).toBe('seeded');
    expect(new DPTrainer(base(mlp(4, 3, 2), { seed: new Uint8Array(16).fill(9) })).noiseRng).toBe('seeded');
  });

  it('issue 8 attack: one seed on D and D - a record reveals its clipped gradient; the default does not', async () => {
    const { xs, ys } = data(8, 4, 2);
    const lr = 0.5;
    const B = 8;
    // (w(D minus r) - w(D)) * B / lr = clip(grad r) + z(D) - z(D minus r) for one SGD step (Abadi et al. 2016, Alg. 1)
    const difference = async (extra: Record<string, unknown>) => {
      const run = async (x: tf.Tensor, y: tf.Tensor) => {
        const model = mlp(4, 3, 2, 5);
        const t = new DPTrainer(
          base(model, {
            noiseMultiplier: 1,
            clipNorm: 1,
            optimizer: { kind: 'sgd', learningRate: lr },
            expectedBatchSize: B,
            ...extra,
          }),
        );
        await t.step(x, y);
        await t.close();
        return weights(model);
      };
      const full = await run(xs, ys);
      const less = await run(xs.slice(0, 7), ys.slice(0, 7));
      return full.flatMap((w, i) => Array.from(w, (v, j) => ((less[i]![j]! - v) * B) / lr));
    };
    const grads = clippedGradSum(mlp(4, 3, 2, 5), xs.slice(7, 1), ys.slice(7, 1), {
      loss: 'categoricalCrossentropy',
      fromLogits: true,
      clipNorm: 1,
    });
    const clipped = grads.flatMap((g) => Array.from(g.dataSync()));
    tf.dispose(grads);
    const maxError = (d: number[]) => Math.max(...d.map((v, i) => Math.abs(v - clipped[i]!)));
    expect(Math.max(...clipped.map(Math.abs))).toBeGreaterThan(0.01);
    // seeded, one seed: the noise cancels (why its epsilon is labelled)
    expect(maxError(await difference({}))).toBeLessThan(1e-4);
    // secure: z(D) - z(D') ~ N(0, 2) per coordinate
    expect(maxError(await difference({ seed: undefined }))).toBeGreaterThan(0.1);
  });

  it('two trainers with one seed draw identical noise and batches; another seed draws different ones', async () => {
    const { xs, ys } = data(64, 4, 2);
    const seeded = async (seed: string | Uint8Array) => {
      const model = mlp(4, 3, 2, 5);
      const t = new DPTrainer(base(model, { seed }));
      expect(t.noiseRng).toBe('seeded');
      const noise = Array.from(await t.internals.noise!.next());
      const h = await t.fit(xs, ys, { steps: 3 });
      await t.close();
      return { noise, batches: h.private.batchSizes, w: weights(model).map((x) => Array.from(x)) };
    };
    const a = await seeded(SEED);
    expect(await seeded(Buffer.from(SEED, 'hex'))).toEqual(a); // the same seed as bytes
    const other = await seeded('000102030405060708090a0b0c0d0e0e');
    expect(other.noise).not.toEqual(a.noise);
    expect(other.w).not.toEqual(a.w);
    expect(a.noise.some((v) => v !== 0)).toBe(true);
  });
});

describe('DPTrainer accounting', () => {
  it('adaptive clipping moves C and accounts the whole step as gaussian(sigma), split per Andrew et al.', async () => {
    const model = mlp(4, 3, 2);
    const { xs, ys } = data(64, 4, 2);
    const t = new DPTrainer(
      base(model, {
        clipNorm: undefined,
        adaptiveClipping: { initialClipNorm: 1e-4, targetQuantile: 0.5, learningRate: 0.5, countNoiseMultiplier: 2 },
        noiseMultiplier: 1.2,
      }),
    );
    expect(t.internals.adaptive!.gradientNoiseMultiplier).toBeCloseTo((1.2 ** -2 - (2 * 2) ** -2) ** -0.5, 12);
    await t.fit(xs, ys, { steps: 8 });
    expect(t.clipNorm).toBeGreaterThan(1e-4); // every norm exceeds the tiny start: C grows
    expect(t.ledger).toMatchObject({
      events: [{ count: 8, event: { sampling_probability: 0.125, event: { noise_multiplier: 1.2 } } }],
    });
    expect(
      () =>
        new DPTrainer(
          base(model, { clipNorm: undefined, adaptiveClipping: { countNoiseMultiplier: 0.5 }, noiseMultiplier: 1.2 }),
        ),
    ).toThrow(/countNoiseMultiplier/);
  });

  it('adaptive clipping noise is as priced: N(0, (sigma_grad C_t)^2) on sum, N(0, sigma_b^2) on count', async () => {
    const model = mlp(4, 3, 2);
    const { xs, ys } = data(8, 4, 2);
    const [sigma, sigmaB, B, lr, eta, gamma] = [1.2, 2, 8, 0.5, 0.5, 0.5];
    const t = new DPTrainer(
      base(model, {
        clipNorm: undefined,
        adaptiveClipping: {
          initialClipNorm: 0.05,
          targetQuantile: gamma,
          learningRate: eta,
          countNoiseMultiplier: sigmaB,
        },
        noiseMultiplier: sigma,
        expectedBatchSize: B,
      }),
    );
    const sigmaGrad = t.internals.adaptive!.gradientNoiseMultiplier;
    // the seed's two streams, read independently: unit Gaussians of the noise stream, the count's noise from sampling
    const noise = new GaussianNoiseStream(t.internals.noise!.size, { seeded: { seed: SEED, position: 0 } }, 1);
    const sampling = new SeededRandomSource(SEED, { stream: 'sampling' });
    const loss = { loss: 'categoricalCrossentropy' as const, fromLogits: true };
    for (let k = 0; k < 2; k++) {
      const C = t.clipNorm;
      const before = weights(model);
      const sum = clippedGradSum(model, xs, ys, { ...loss, clipNorm: C }).map((g) => Float32Array.from(g.dataSync()));
      const atMostC = Array.from(await perSampleGradNorms(model, xs, ys, loss)).filter((n) => n <= C).length;
      const r = await t.step(xs, ys);
      expect(r.clipNorm).toBe(C);
      // sgd: w' = w - lr (sum / B + z sigma_grad C / B) (Abadi et al. 2016, Alg. 1; Andrew et al. 2021, Sec. 3.1)
      const z = await noise.next();
      let i = 0;
      weights(model).forEach((w, l) =>
        w.forEach((v, j) => {
          const measured = (((before[l]![j]! - v) / lr - sum[l]![j]! / B) * B) / (sigmaGrad * C);
          expect(Math.abs(measured - z[i++]!)).toBeLessThan(1e-3);
        }),
      );
      // the count released with N(0, sigma_b^2), then C moves geometrically (Andrew et al. 2021, Alg. 1)
      const fraction = (atMostC - B / 2 + fillGaussian(sampling, new Float64Array(1), sigmaB)[0]!) / B + 0.5;
      expect(t.clipNorm).toBeCloseTo(C * Math.exp(-eta * (fraction - gamma)), 10);
    }
    noise.close();
    // two queries, one Gaussian of multiplier sigma: sigma^-2 = sigma_grad^-2 + (2 sigma_b)^-2, and that is what is
    // logged
    expect(sigmaGrad ** -2 + (2 * sigmaB) ** -2).toBeCloseTo(sigma ** -2, 12);
    expect(t.ledger).toEqual({
      kind: 'composed',
      events: [
        {
          kind: 'self_composed',
          count: 2,
          event: { kind: 'gaussian', noise_multiplier: sigma, neighboring_relation: 'add_or_remove_one' },
        },
      ],
    });
    await t.close();
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
        if (granted + body.steps > allowed)
          throw Object.assign(new Error('budget exhausted'), { code: 'budget_exhausted', status: 409 });
        granted += body.steps;
        return { id: `r${++ids}`, steps: body.steps, expires_at: '2999-01-01T00:00:00.000Z' };
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
    expect(calls).toEqual([
      'reserve run-1 4',
      'commit r1 4',
      'reserve run-1 4',
      'reserve run-1 2',
      'commit r2 2',
      'reserve run-1 4',
      'reserve run-1 2',
      'reserve run-1 1',
      'commit r3 1',
      'reserve run-1 4',
      'reserve run-1 2',
      'reserve run-1 1',
    ]);
    const localModel = mlp(4, 3, 2, 7);
    const local = new DPTrainer(base(localModel));
    await local.fit(xs, ys, { steps: allowed });
    expect(weights(remoteModel)).toEqual(weights(localModel));
    expect(remote.ledger).toEqual(local.ledger);
    expect((await remote.step(xs.slice(0, 2), ys.slice(0, 2))).applied).toBe(false);
  });

  it('refuses delta >= 1/datasetSize (target.delta and epsilon(delta)) unless allowLargeDelta is set', async () => {
    const model = mlp(4, 3, 2);
    const target = { epsilon: 3, delta: 1 / 64, epochs: 1 };
    const { noiseMultiplier: _n, ...rest } = base(model);
    expect(() => new DPTrainer({ ...rest, target })).toThrow(
      expect.objectContaining({
        code: 'invalid_argument',
        message: expect.stringMatching(/not below 1\/n .*allowLargeDelta/),
      }),
    );
    const t = new DPTrainer(base(model));
    expect(() => t.epsilon(0.05)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(t.epsilon(1e-5)).toBe(0);
    const allowed = new DPTrainer({ ...rest, target, allowLargeDelta: true });
    expect(allowed.noiseMultiplier).toBeGreaterThan(0);
    expect(allowed.epsilon(0.05)).toBe(0);
  });

  it('target calibrates sigma so the planned epochs end within (epsilon, delta); pld refuses zcdp steps', async () => {
    const { xs, ys } = data(64, 4, 2);
    for (const accountant of ['rdp', 'pld'] as const) {
      const t = new DPTrainer(
        base(mlp(4, 3, 2), { noiseMultiplier: undefined, target: { epsilon: 2, delta: 1e-5, epochs: 3 }, accountant }),
      );
      expect(t.noiseMultiplier).toBeGreaterThan(0.3);
      await t.fit(xs, ys, { epochs: 3 });
      expect(t.stepCount).toBe(24);
      expect(t.epsilon(1e-5)).toBeLessThanOrEqual(2);
      expect(t.epsilon(1e-5)).toBeGreaterThan(1.9);
    }
    for (const extra of [{ sampler: 'shuffle' }, { noise: 'discrete_gaussian' }]) {
      const t = new DPTrainer(
        base(mlp(4, 3, 2), { noiseMultiplier: undefined, target: { epsilon: 2, delta: 1e-5, epochs: 2 }, ...extra }),
      );
      await t.fit(xs, ys, { epochs: 2 });
      expect(t.stepCount).toBe(16);
      expect(t.epsilon(1e-5)).toBeLessThanOrEqual(2);
      expect(t.epsilon(1e-5)).toBeGreaterThan(1.9);
    }
    expect(() => new DPTrainer(base(mlp(4, 3, 2), { noise: 'discrete_gaussian', accountant: 'pld' }))).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(() => new DPTrainer(base(mlp(4, 3, 2), { noiseMultiplier: undefined }))).toThrow(
      /noiseMultiplier or target/,
    );
  });

  it('a target in epochs or steps calibrates for exactly the steps fit then runs (issue 14.4)', async () => {
    const { xs, ys } = data(64, 4, 2);
    // 64 / 8 = 8 steps an epoch; 1.05 epochs is round(8.4) = 8 steps (calibrating for ceil(8.4) = 9 left epsilon short)
    const cases = [
      { target: { epochs: 1.05 }, fit: { epochs: 1.05 }, steps: 8, extra: {} },
      { target: { epochs: 1.05 }, fit: { epochs: 1.05 }, steps: 8, extra: { sampler: 'shuffle' } },
      { target: { steps: 7 }, fit: { steps: 7 }, steps: 7, extra: {} },
    ];
    for (const c of cases) {
      const t = new DPTrainer(
        base(mlp(4, 3, 2), {
          noiseMultiplier: undefined,
          target: { epsilon: 2, delta: 1e-5, ...c.target },
          ...c.extra,
        }),
      );
      await t.fit(xs, ys, c.fit);
      expect(t.stepCount).toBe(c.steps);
      expect(t.ledger).toMatchObject({ events: [{ kind: 'self_composed', count: c.steps }] });
      expect(t.epsilon(1e-5)).toBeLessThanOrEqual(2);
      expect(t.epsilon(1e-5)).toBeGreaterThan(2 - 0.011); // calibration's tolerance is 0.01
    }
    // n = 93, B = 2: an epoch is round(93 / 2) = 47 steps, as `dpledger epsilon --epochs 1` prices it (round(1/q) is
    // 46)
    const small = data(93, 4, 2);
    const t = new DPTrainer(base(mlp(4, 3, 2), { datasetSize: 93, expectedBatchSize: 2 }));
    await t.fit(small.xs, small.ys, { epochs: 1 });
    expect(t.stepCount).toBe(stepsForEpochs(1, { sampler: 'poisson', datasetSize: 93, expectedBatchSize: 2 }));
    expect(t.stepCount).toBe(47);
    for (const target of [
      { epsilon: 2, delta: 1e-5 },
      { epsilon: 2, delta: 1e-5, epochs: 1, steps: 8 },
      { epsilon: 2, delta: 1e-5, steps: 2.5 },
    ]) {
      expect(() => new DPTrainer(base(mlp(4, 3, 2), { noiseMultiplier: undefined, target }))).toThrow(
        expect.objectContaining({ code: 'invalid_argument' }),
      );
    }
  });

  it('leaks no tensors across steps (Gaussian, adaptive, discrete, chunked, Adam)', async () => {
    const { xs, ys } = data(64, 4, 2);
    for (const extra of [
      {},
      { clipNorm: undefined, adaptiveClipping: { countNoiseMultiplier: 2 } },
      { noise: 'discrete_gaussian' },
      { maxPhysicalBatchSize: 3, optimizer: { kind: 'adam', learningRate: 0.01 } },
    ]) {
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
