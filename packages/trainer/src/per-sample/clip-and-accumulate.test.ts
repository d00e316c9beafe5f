import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { useBackend } from '../backends/index.js';
import { TrainerError, clipAndAccumulate, defaultLayerRules, perSampleGradNorms, withLayerRules } from './index.js';
import * as fixtures from './models.fixture.js';
import { referenceClippedSum, referenceGrads, relErr } from './reference-loop.fixture.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => vi.restoreAllMocks());

const flat = (clipNorm: number) => ({ kind: 'flat', clipNorm }) as const;

/** The reference runs on cpu (wasm 4.22 lacks some gradient kernels); the code under test on `backend`. */
async function onCpu<T>(backend: string, f: () => T): Promise<T> {
  await tf.setBackend('cpu');
  const out = f();
  await useBackend(backend as 'cpu' | 'wasm');
  return out;
}

describe.each(['cpu', 'wasm'])('clipAndAccumulate on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend as 'cpu' | 'wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('per-layer clipping, one threshold per weight tensor or per layer, matches the reference', async () => {
    const c = fixtures.mlp();
    const ref = await onCpu(backend, () => referenceGrads(c.model, c.xs, c.ys, c.ref));
    const perWeight = [0.3, 0.05, 0.2, 0.04];
    const perLayer = [0.3, 0.1];
    for (const [clipNorms, groups] of [
      [perWeight, [[0], [1], [2], [3]]],
      [
        perLayer,
        [
          [0, 1],
          [2, 3],
        ],
      ],
    ] as const) {
      const r = clipAndAccumulate(c.model, c.xs, c.ys, {
        loss: c.loss,
        clipping: { kind: 'per_layer', clipNorms: [...clipNorms] },
      });
      const want = referenceClippedSum(
        ref,
        groups.map((g) => [...g]),
        [...clipNorms],
      );
      r.sums.forEach((s, i) => expect(relErr(s.dataSync(), want[i] as Float64Array)).toBeLessThan(1e-5));
      // Norms are the pre-clip norms over all weights, whatever the clipping.
      expect(relErr(r.norms.dataSync(), ref.norms)).toBeLessThan(1e-5);
      tf.dispose([...r.sums, r.norms, r.lossSum]);
    }
  });

  it('returns the summed loss, and microbatchSize chunks give the same result as one pass', async () => {
    const c = fixtures.tanhCnn(5);
    const ref = await onCpu(backend, () => referenceGrads(c.model, c.xs, c.ys, c.ref));
    const whole = clipAndAccumulate(c.model, c.xs, c.ys, { loss: c.loss, clipping: flat(0.5) });
    const chunked = clipAndAccumulate(c.model, c.xs, c.ys, { loss: c.loss, clipping: flat(0.5), microbatchSize: 2 });
    expect(Math.abs((whole.lossSum.dataSync()[0] ?? NaN) - ref.lossSum) / ref.lossSum).toBeLessThan(1e-5);
    expect(relErr(chunked.lossSum.dataSync(), whole.lossSum.dataSync())).toBeLessThan(1e-6);
    expect(relErr(chunked.norms.dataSync(), ref.norms)).toBeLessThan(1e-5);
    whole.sums.forEach((s, i) =>
      expect(relErr((chunked.sums[i] as tf.Tensor).dataSync(), s.dataSync())).toBeLessThan(1e-6),
    );
    tf.dispose([...whole.sums, whole.norms, whole.lossSum, ...chunked.sums, chunked.norms, chunked.lossSum]);
  });

  it("an empty batch gives zero sums of the weights' shapes, no norms and zero loss", () => {
    const c = fixtures.mlp();
    const r = clipAndAccumulate(c.model, tf.zeros([0, 6]), tf.zeros([0, 4]), { loss: c.loss, clipping: flat(1) });
    expect(r.sums.map((s) => s.shape)).toEqual(c.model.trainableWeights.map((w) => w.shape));
    for (const s of r.sums) expect(Math.max(...s.abs().dataSync())).toBe(0);
    expect(r.norms.shape).toEqual([0]);
    expect(r.lossSum.dataSync()[0]).toBe(0);
  });

  it('clipped examples contribute at most C each: with a tiny C the sum norm is at most B C', () => {
    const c = fixtures.mlp(6);
    const r = clipAndAccumulate(c.model, c.xs, c.ys, { loss: c.loss, clipping: flat(1e-3) });
    const total = Math.sqrt(r.sums.reduce((s, t) => s + (t.square().sum().dataSync()[0] ?? NaN), 0));
    expect(total).toBeLessThanOrEqual(6e-3 * (1 + 1e-5));
    expect(total).toBeGreaterThan(1e-3);
  });

  it('does not leak tensors across calls', () => {
    for (const make of [fixtures.mlp, fixtures.tanhCnn, fixtures.embedding, fixtures.rnnFallback]) {
      vi.spyOn(console, 'warn').mockImplementation(() => {});
      const c = make();
      const run = () => {
        const r = clipAndAccumulate(c.model, c.xs, c.ys, { loss: c.loss, clipping: flat(1), microbatchSize: 2 });
        tf.dispose([...r.sums, r.norms, r.lossSum]);
      };
      run();
      const before = tf.memory().numTensors;
      run();
      run();
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});

describe('models and options the per-sample machinery refuses or warns about', () => {
  it('refuses BatchNormalization with an error naming the layer and suggesting LayerNormalization', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [3], units: 4 }),
        tf.layers.batchNormalization({ name: 'bn_here' }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const e = await perSampleGradNorms(model, tf.ones([2, 3]), tf.ones([2, 2]), { loss: 'meanSquaredError' }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(TrainerError);
    expect((e as TrainerError).message).toMatch(/bn_here.*LayerNormalization/);
    expect((e as TrainerError).code).toBe('batch_normalization');
  });

  it('warns once, naming the layer, when a layer without a rule is microbatched', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const c = fixtures.rnnFallback();
    await perSampleGradNorms(c.model, c.xs, c.ys, { loss: c.loss });
    await perSampleGradNorms(c.model, c.xs, c.ys, { loss: c.loss });
    const rnnName = c.model.layers[0]?.name as string;
    expect(warn.mock.calls.filter((args) => String(args[0]).includes(rnnName))).toHaveLength(1);
    warn.mockRestore();
  });

  it('a registry without the Dense rule microbatches Dense and still gives the same norms', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const c = fixtures.mlp();
    const base = defaultLayerRules();
    const noDense = { vectorized: new Map([...base.vectorized].filter(([k]) => k !== 'Dense')), refused: base.refused };
    const a = await perSampleGradNorms(c.model, c.xs, c.ys, { loss: c.loss, rules: noDense });
    const b = await perSampleGradNorms(c.model, c.xs, c.ys, { loss: c.loss, rules: withLayerRules(base, {}) });
    expect(relErr(a, b)).toBeLessThan(1e-5);
    expect(base.vectorized.has('Dense')).toBe(true); // the default registry was not changed
  });

  it('rejects mismatched batches, bad clip norms and a wrong count of per-layer thresholds', () => {
    const c = fixtures.mlp();
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as TrainerError).code;
      }
      return 'no error';
    };
    expect(code(() => clipAndAccumulate(c.model, c.xs, c.ys.slice(0, 2), { loss: c.loss, clipping: flat(1) }))).toBe(
      'bad_input',
    );
    expect(code(() => clipAndAccumulate(c.model, c.xs, c.ys, { loss: c.loss, clipping: flat(0) }))).toBe(
      'invalid_argument',
    );
    expect(code(() => clipAndAccumulate(c.model, c.xs, c.ys, { loss: c.loss, clipping: flat(Number.NaN) }))).toBe(
      'invalid_argument',
    );
    expect(
      code(() =>
        clipAndAccumulate(c.model, c.xs, c.ys, { loss: c.loss, clipping: { kind: 'per_layer', clipNorms: [1, 1, 1] } }),
      ),
    ).toBe('bad_input');
    expect(
      code(() => clipAndAccumulate(c.model, c.xs, c.ys, { loss: c.loss, clipping: flat(1), microbatchSize: 0 })),
    ).toBe('invalid_argument');
  });
});

describe('graph walking', () => {
  it('expands a nested model in place: no microbatch warning, per-layer groups are its inner layers', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const c = fixtures.nestedModel();
    const ref = referenceGrads(c.model, c.xs, c.ys, c.ref);
    const r = clipAndAccumulate(c.model, c.xs, c.ys, {
      loss: c.loss,
      clipping: { kind: 'per_layer', clipNorms: [0.2, 0.1, 0.3] },
    });
    const want = referenceClippedSum(
      ref,
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
      [0.2, 0.1, 0.3],
    );
    r.sums.forEach((s, i) => expect(relErr(s.dataSync(), want[i] as Float64Array)).toBeLessThan(1e-5));
    expect(warn.mock.calls.filter((args) => String(args[0]).includes('@dpledger/trainer'))).toEqual([]);
    warn.mockRestore();
  });
});

describe('Keras masks', () => {
  it('passes an Embedding maskZero mask to the layers after it, as model.apply does', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const c = fixtures.maskedSequence();
    const ref = referenceGrads(c.model, c.xs, c.ys, c.ref);
    const norms = await perSampleGradNorms(c.model, c.xs, c.ys, { loss: c.loss });
    expect(relErr(norms, ref.norms)).toBeLessThan(1e-5);
  });
});
