/**
 * Issue 8 item 4: one record moves the clipped sum by at most C, for every supported layer and wrapper; layers that mix
 * examples are refused wherever they sit.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { TrainerError, clipAndAccumulate, defaultLayerRules, type LayerRuleRegistry } from './index.js';
import * as fixtures from './models.fixture.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const C = 0.05;

function clippedSum(c: fixtures.Case, keep: number[], rules?: LayerRuleRegistry): Float64Array {
  const idx = tf.tensor1d(keep, 'int32');
  const [x, y] = [tf.gather(c.xs, idx), tf.gather(c.ys, idx)];
  const r = clipAndAccumulate(c.model, x, y, {
    loss: c.loss,
    fromLogits: c.fromLogits,
    clipping: { kind: 'flat', clipNorm: C },
    rules,
  });
  const flat = Float64Array.from(r.sums.flatMap((s) => Array.from(s.dataSync())));
  tf.dispose([idx, x, y, r.sums, r.norms, r.lossSum]);
  return flat;
}

const distance = (a: Float64Array, b: Float64Array) => Math.sqrt(a.reduce((acc, v, i) => acc + (v - b[i]!) ** 2, 0));

function refusal(f: () => unknown): TrainerError {
  try {
    f();
  } catch (e) {
    if (e instanceof TrainerError) return e;
    throw e;
  }
  throw new Error('expected a TrainerError');
}

describe('adding one record moves the clipped sum by at most C', () => {
  const cases = Object.values(fixtures)
    .filter((f): f is (b?: number) => fixtures.Case => typeof f === 'function')
    .map((f) => f());
  it('covers every fixture model, wrappers and nested models included', () => {
    expect(cases.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'TimeDistributed and Bidirectional wrappers',
        'nested model called twice',
        'nested Sequential',
        'shared layer (microbatch fallback)',
      ]),
    );
  });
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const b = c.xs.shape[0]!;
    const all = Array.from({ length: b }, (_, i) => i);
    const full = clippedSum(c, all);
    let moved = 0;
    for (let i = 0; i < b; i++) {
      const d = distance(
        full,
        clippedSum(
          c,
          all.filter((j) => j !== i),
        ),
      );
      moved = Math.max(moved, d);
      expect(d).toBeLessThanOrEqual(C * (1 + 1e-4)); // float32 round-off only
    }
    expect(moved).toBeGreaterThan(C / 100); // records do move it: the check is not vacuous
  });

  it('catches a layer that mixes examples when nothing refuses it (BatchNormalization inside TimeDistributed)', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.timeDistributed({ inputShape: [2, 4], layer: tf.layers.batchNormalization() }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 151 }) }),
      ],
    });
    const c: fixtures.Case = {
      name: 'bn',
      model,
      xs: tf.randomNormal([5, 2, 4], 0, 1, 'float32', 152),
      ys: tf.randomNormal([5, 2], 0, 1, 'float32', 153),
      loss: 'meanSquaredError',
      ref: () => tf.scalar(0),
    };
    const open: LayerRuleRegistry = { vectorized: defaultLayerRules().vectorized, refused: new Map() };
    const all = [0, 1, 2, 3, 4];
    const full = clippedSum(c, all, open);
    const moved = Math.max(
      ...all.map((i) =>
        distance(
          full,
          clippedSum(
            c,
            all.filter((j) => j !== i),
            open,
          ),
        ),
      ),
    );
    expect(moved).toBeGreaterThan(C * 1.5); // the other records' clipped gradients changed too
  });
});

describe('layers that mix examples are refused wherever they sit in the graph', () => {
  const xs = tf.ones([3, 2, 4]);
  const ys = tf.ones([3, 2]);
  const clip = { kind: 'flat', clipNorm: 1 } as const;

  it('BatchNormalization inside TimeDistributed (the issue: one record moved the sum by 9.27 with C = 1)', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.timeDistributed({ inputShape: [2, 4], layer: tf.layers.batchNormalization({ name: 'bn_wrapped' }) }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const e = refusal(() => clipAndAccumulate(model, xs, ys, { loss: 'meanSquaredError', clipping: clip }));
    expect(e.code).toBe('batch_normalization');
    expect(e.message).toMatch(/bn_wrapped/);
  });

  it('BatchNormalization in a nested model called twice', () => {
    const inner = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [4], units: 4 }), tf.layers.batchNormalization({ name: 'bn_nested' })],
    });
    const inp = tf.input({ shape: [4] });
    const out = tf.layers.dense({ units: 2 }).apply(inner.apply(inner.apply(inp))) as tf.SymbolicTensor;
    const e = refusal(() =>
      clipAndAccumulate(tf.model({ inputs: inp, outputs: out }), tf.ones([3, 4]), ys, {
        loss: 'meanSquaredError',
        clipping: clip,
      }),
    );
    expect(e.code).toBe('batch_normalization');
    expect(e.message).toMatch(/bn_nested/);
  });

  it('a stateful recurrent layer (state carried between batches)', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.simpleRNN({ batchInputShape: [3, 2, 4], units: 2, stateful: true, name: 'rnn_stateful' }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const e = refusal(() => clipAndAccumulate(model, xs, ys, { loss: 'meanSquaredError', clipping: clip }));
    expect(e.code).toBe('unsupported_layer');
    expect(e.message).toMatch(/rnn_stateful.*stateful/);
  });
});
