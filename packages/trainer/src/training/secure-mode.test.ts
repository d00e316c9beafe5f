import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DPTrainer } from '@dpledger/trainer';
import { RdpAccountant } from '@dpledger/accounting';
import { mathRandomInFreshWorker, withFixedWorkerMathRandom } from './fixed-math-random.fixture.js';
import { twoExamples } from './two-examples.fixture.js';

// Every tfjs RNG entry point the trainer could reach, wrapped so calls are counted (a namespace cannot be spied on).
vi.mock('@tensorflow/tfjs', async (importOriginal) => {
  const orig = await importOriginal<typeof import('@tensorflow/tfjs')>();
  return {
    ...orig,
    randomNormal: vi.fn(orig.randomNormal),
    randomUniform: vi.fn(orig.randomUniform),
    truncatedNormal: vi.fn(orig.truncatedNormal),
    randomGamma: vi.fn(orig.randomGamma),
    multinomial: vi.fn(orig.multinomial),
  };
});

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('secure mode', () => {
  it('by default all sampling and noise bits come from crypto.getRandomValues, not Math.random/tfjs RNG', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'tanh' }), tf.layers.dense({ units: 2 })],
    });
    const xs = tf.tensor2d(
      Array.from({ length: 64 * 4 }, (_, i) => Math.sin(i)),
      [64, 4],
    );
    const ys = tf
      .oneHot(
        tf.tensor1d(
          Array.from({ length: 64 }, (_, i) => i % 2),
          'int32',
        ),
        2,
      )
      .toFloat();
    const rng = [
      tf.randomNormal,
      tf.randomUniform,
      tf.truncatedNormal,
      tf.randomGamma,
      tf.multinomial,
    ] as unknown as ReturnType<typeof vi.fn>[];
    for (const f of rng) f.mockClear();
    const mathRandom = vi.spyOn(Math, 'random');
    const crypto = vi.spyOn(globalThis.crypto, 'getRandomValues');
    // no randomness option at all, then the explicit (redundant) secureMode: true
    const variants = [
      { clipNorm: 1 },
      { adaptiveClipping: { initialClipNorm: 0.5, countNoiseMultiplier: 2 } },
      { clipNorm: 1, noise: 'discrete_gaussian' as const },
      { clipNorm: 1, secureMode: true },
    ];
    for (const v of variants) {
      const t = new DPTrainer({
        model,
        loss: 'categoricalCrossentropy',
        fromLogits: true,
        optimizer: { kind: 'adam', learningRate: 0.01 },
        noiseMultiplier: 1.1,
        expectedBatchSize: 8,
        datasetSize: 64,
        accountant: new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }),
        ...v,
      });
      expect(t.noiseRng).toBe('secure');
      const before = model.getWeights().map((w) => w.dataSync().slice());
      await t.fit(xs, ys, { steps: 2 });
      expect(model.getWeights().some((w, i) => w.dataSync().some((x, j) => x !== before[i]![j]))).toBe(true);
    }
    expect(mathRandom).not.toHaveBeenCalled();
    for (const f of rng) expect(f).not.toHaveBeenCalled();
    expect(crypto).toHaveBeenCalled();
    // WebCrypto quota
    for (const [arr] of crypto.mock.calls) expect((arr as ArrayBufferView).byteLength).toBeLessThanOrEqual(65536);
  });

  it('the wrapped tfjs RNG is observable (so the test above can fail)', () => {
    tf.randomNormal([2]).dispose();
    expect(tf.randomNormal as unknown as ReturnType<typeof vi.fn>).toHaveBeenCalled();
  });

  it('draws the Gaussian noise in a worker the spies above cannot see, and not from Math.random there', async () => {
    // Two trainers from the same zero weights step on the same batch: the noise is the step's only randomness. With
    // Math.random fixed in every new worker, their noise workers would give equal noise if they drew from it (or
    // from any fixed seed), and so equal weights.
    const make = (opts: { seed?: string } = {}) =>
      new DPTrainer({
        model: tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, kernelInitializer: 'zeros' })] }),
        loss: 'categoricalCrossentropy',
        fromLogits: true,
        optimizer: { kind: 'sgd', learningRate: 0.1 },
        clipNorm: 1,
        noiseMultiplier: 1,
        expectedBatchSize: 2,
        datasetSize: 10,
        ...opts,
      });
    const { x, y } = twoExamples();
    const stepped = async (t: DPTrainer) => {
      expect((await t.step(x, y)).applied).toBe(true);
      expect(await t.internals.noise!.prefetching()).toBe(true); // the step's noise came from the worker
      const w = t.model.getWeights().map((v) => Array.from(v.dataSync()));
      await t.close();
      return w;
    };
    await withFixedWorkerMathRandom(async () => {
      expect(await mathRandomInFreshWorker()).toEqual(await mathRandomInFreshWorker()); // Math.random is fixed there
      const SEED = '000102030405060708090a0b0c0d0e0f';
      expect(await stepped(make({ seed: SEED }))).toEqual(await stepped(make({ seed: SEED }))); // equal noise shows
      const [a, b] = [await stepped(make()), await stepped(make())];
      expect(a.flat().some((v, i) => v !== b.flat()[i])).toBe(true);
    });
    tf.dispose([x, y]);
  });
});
