import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { normals, valuesOn } from './test-support.js';
import { useBackend } from './use-backend.js';

interface Case {
  shape: number[];
  begin: number[];
  size: number[];
}

const cases: Case[] = [
  { shape: [16, 5, 5, 96], begin: [0, 0, 0, 0], size: [16, 4, 4, 96] }, // a per-example filter gradient crop
  { shape: [6, 13, 13, 16], begin: [0, 0, 0, 0], size: [6, 12, 12, 16] }, // an input crop
  { shape: [3, 7, 9, 5], begin: [1, 2, 3, 1], size: [2, 4, 5, 3] }, // every axis cut: runs of 3
  { shape: [4, 6, 200], begin: [1, 0, 10], size: [2, 6, 150] }, // long runs inside the last axis
  { shape: [5, 300], begin: [2, 0], size: [-1, -1] }, // contiguous rows, size -1
  { shape: [40], begin: [7], size: [20] },
  { shape: [2, 3, 4, 5, 6], begin: [0, 1, 1, 0, 2], size: [2, 2, 3, 5, 3] }, // rank 5
  { shape: [3, 4, 5], begin: [0, 0, 0], size: [3, 0, 5] }, // empty
];

describe('Slice on wasm (contiguous runs on the heap)', () => {
  it("is registered by useBackend('wasm') in place of the stock kernel", async () => {
    await useBackend('wasm');
    expect(Symbol.for('@dpledger/trainer/wasm-fix') in tf.getKernel('Slice', 'wasm').kernelFunc).toBe(true);
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i equals cpu for float32, int32 and bool', async (i, c) => {
    const v = normals(
      c.shape.reduce((p, q) => p * q, 1),
      700 + i,
    );
    const f = () => {
      const x = tf.tensor(v, c.shape);
      return [x.slice(c.begin, c.size), x.mul(100).toInt().slice(c.begin, c.size), x.greater(0).slice(c.begin, c.size)];
    };
    const cpu = await valuesOn('cpu', f);
    const wasm = await valuesOn('wasm', f);
    expect(wasm.map((a) => Array.from(a))).toEqual(cpu.map((a) => Array.from(a)));
  });

  it('keeps the gradient of a slice', async () => {
    const f = () => {
      const x = tf.tensor3d(normals(4 * 5 * 6, 9), [4, 5, 6]);
      const g = tf.grad((t: tf.Tensor) => t.slice([1, 1, 2], [2, 3, 3]).square().sum())(x);
      return [g];
    };
    const cpu = await valuesOn('cpu', f);
    const wasm = await valuesOn('wasm', f);
    expect(wasm.map((a) => Array.from(a))).toEqual(cpu.map((a) => Array.from(a)));
  });
});
