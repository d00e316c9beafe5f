import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { normals, valuesOn } from './test-support.js';
import { useBackend } from './use-backend.js';

interface Case {
  shape: number[];
  indices: number[];
  indexShape: number[];
  axis: number;
}

const cases: Case[] = [
  { shape: [50, 28, 28, 1], indices: [3, 49, 0, 3, 17], indexShape: [5], axis: 0 }, // a batch of images, a repeat
  { shape: [30, 10], indices: [29, 1, 1, 0], indexShape: [4], axis: 0 }, // one-hot labels: short rows
  { shape: [4, 6, 200], indices: [5, 0, 2], indexShape: [3], axis: 1 }, // a middle axis, long runs
  { shape: [3, 5, 7], indices: [6, 0, 3, 3, 1, 2], indexShape: [2, 3], axis: -1 }, // last axis, 2-D indices
  { shape: [8], indices: [7, 0], indexShape: [2], axis: 0 },
  { shape: [6, 4], indices: [], indexShape: [0], axis: 0 }, // empty
];

describe('GatherV2 on wasm (one copy per gathered slice)', () => {
  it("is registered by useBackend('wasm') in place of the stock kernel", async () => {
    await useBackend('wasm');
    expect(Symbol.for('@dpledger/trainer/wasm-fix') in tf.getKernel('GatherV2', 'wasm').kernelFunc).toBe(true);
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i equals cpu for float32, int32 and bool', async (i, c) => {
    const v = normals(
      c.shape.reduce((p, q) => p * q, 1),
      900 + i,
    );
    const f = () => {
      const x = tf.tensor(v, c.shape);
      const idx = tf.tensor(c.indices, c.indexShape, 'int32');
      return [x, x.mul(100).toInt(), x.greater(0)].map((t) => tf.gather(t, idx, c.axis));
    };
    const cpu = await valuesOn('cpu', f);
    const wasm = await valuesOn('wasm', f);
    expect(wasm.map((a) => Array.from(a))).toEqual(cpu.map((a) => Array.from(a)));
  });

  it('refuses an index outside the axis, as the cpu backend does, and leaks no tensor', async () => {
    await useBackend('wasm');
    const x = tf.tensor2d(normals(12, 3), [4, 3]);
    for (const bad of [4, -1]) {
      const idx = tf.tensor1d([0, bad], 'int32');
      const before = tf.memory().numTensors;
      expect(() => tf.gather(x, idx)).toThrow(/not in \[0, 3\]/);
      expect(tf.memory().numTensors).toBe(before);
      idx.dispose();
    }
    x.dispose();
  });

  it('keeps the gradient of a gather (UnsortedSegmentSum), and batchDims goes to the stock kernel', async () => {
    const f = () => {
      const x = tf.tensor2d(normals(5 * 4, 11), [5, 4]);
      const idx = tf.tensor1d([4, 0, 4], 'int32');
      const g = tf.grad((t: tf.Tensor) => tf.gather(t, idx).square().sum())(x);
      const b = tf.gather(
        tf.tensor2d(normals(2 * 3, 12), [2, 3]),
        tf.tensor2d(
          [
            [2, 0],
            [1, 1],
          ],
          [2, 2],
          'int32',
        ),
        1,
        1,
      );
      return [g, b];
    };
    const cpu = await valuesOn('cpu', f);
    const wasm = await valuesOn('wasm', f);
    expect(wasm.map((a) => Array.from(a))).toEqual(cpu.map((a) => Array.from(a)));
  });
});
