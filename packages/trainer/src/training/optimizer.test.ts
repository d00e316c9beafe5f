import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeGemm, nativeGemmSwitch } from '../backends/native-gemm.js';
import { normals } from '../backends/test-support.js';
import { useBackend } from '../backends/use-backend.js';
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

  it('on wasm, the native SGD and momentum passes are bit for bit the tensor ops, over several steps', async () => {
    await useBackend('wasm');
    try {
      expect(nativeGemm(), 'the native addon is built and loaded').not.toBeNull();
      for (const kind of ['sgd', 'momentum', 'adam'] as const) {
        const run = (off: boolean) => {
          nativeGemmSwitch.off = off;
          const ws = [
            tf.variable(tf.tensor2d(normals(33 * 17, 1), [33, 17])),
            tf.variable(tf.tensor1d(normals(17, 2))),
          ];
          // lr and momentum not exact in float32: both paths must round them the same way
          const opt = new DpOptimizer({ kind, learningRate: 0.037, momentum: 0.93 });
          for (let s = 0; s < 4; s++) {
            const grads = ws.map((w, i) => tf.tensor(normals(w.size, 10 * s + i), w.shape));
            opt.apply(ws, grads);
            tf.dispose(grads);
          }
          const out = ws.map((w) => Float32Array.from(w.dataSync()));
          const slots = opt.getState();
          tf.dispose(ws);
          return { out, slots };
        };
        const [heap, ops] = [run(false), run(true)];
        nativeGemmSwitch.off = false;
        heap.out.forEach((v, i) => {
          expect(
            v.every((x, j) => Object.is(x, ops.out[i]![j])),
            `${kind} weight ${i}`,
          ).toBe(true);
        });
        expect(await heap.slots).toEqual(await ops.slots);
      }
    } finally {
      nativeGemmSwitch.off = false;
      await tf.setBackend('cpu');
    }
  });

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
