import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DpOptimizer, type OptimizerConfig } from './optimizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const reference: Record<OptimizerConfig['kind'], () => tf.Optimizer> = {
  sgd: () => tf.train.sgd(0.1),
  momentum: () => tf.train.momentum(0.1, 0.9),
  adam: () => tf.train.adam(0.1, 0.9, 0.999, 1e-8),
};

describe('DpOptimizer', () => {
  for (const kind of ['sgd', 'momentum', 'adam'] as const) {
    it(`${kind} follows tfjs's own ${kind} update on the same gradients`, () => {
      const ours = tf.variable(tf.tensor1d([1, -2, 3]));
      const theirs = tf.variable(tf.tensor1d([1, -2, 3]));
      const opt = new DpOptimizer({ kind, learningRate: 0.1, momentum: 0.9 });
      const ref = reference[kind]();
      for (const g of [
        [0.5, -1, 2],
        [0.1, 0.3, -0.2],
        [-1, 0, 1],
      ]) {
        const grad = tf.tensor1d(g);
        opt.apply([ours], [grad]);
        ref.applyGradients({ [theirs.name]: grad });
      }
      const a = ours.dataSync();
      theirs.dataSync().forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
    });
  }

  it('saves and restores its state, and refuses bad settings', async () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const opt = new DpOptimizer({ kind: 'adam', learningRate: 0.01 });
    opt.apply([w], [tf.tensor1d([1, 1])]);
    const state = await opt.getState();
    expect(state.iterations).toBe(1);
    expect(state.slots).toHaveLength(2);
    const copy = new DpOptimizer({ kind: 'adam', learningRate: 0.01 });
    copy.setState(state, [w]);
    expect(await copy.getState()).toEqual(state);
    expect(() => new DpOptimizer({ kind: 'sgd', learningRate: 0.1 }).setState(state, [w])).toThrow(
      expect.objectContaining({ code: 'bad_input' }),
    );
    expect(() => new DpOptimizer({ kind: 'sgd', learningRate: 0 })).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(() => new DpOptimizer({ kind: 'rmsprop' as never, learningRate: 1 })).toThrow(/unknown optimizer/);
  });
});
