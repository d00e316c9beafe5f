import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { SPLIT_BATCH_MIN_WORK } from './batch-mat-mul.js';
import { normals, relativeError, valuesOn } from './test-support.js';

interface Case {
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
}

const cases: Case[] = [
  { a: [64, 30], b: [64, 20], ta: true, tb: false }, // Dense weight gradient: x^T dy
  { a: [64, 20], b: [30, 20], ta: false, tb: true }, // Dense input gradient: dy W^T
  { a: [17, 9], b: [13, 17], ta: true, tb: true },
  { a: [5, 7, 3], b: [5, 7, 4], ta: true, tb: false },
  { a: [5, 3, 7], b: [5, 4, 7], ta: false, tb: true },
  { a: [2, 3, 4, 5], b: [2, 3, 5, 6], ta: false, tb: false },
  { a: [3, 128, 128], b: [3, 128, 64], ta: false, tb: false }, // large enough to run matrix by matrix
  { a: [1, 128, 128], b: [3, 128, 64], ta: false, tb: false }, // ... with a broadcast operand
  { a: [4, 128, 96], b: [1, 128, 128], ta: true, tb: false },
];

describe('BatchMatMul on wasm (transposes materialised, large batches split)', () => {
  it('splits at least one of the cases', () => {
    expect(cases.some((c) => c.a.at(-1)! * c.a.at(-2)! * c.b.at(-1)! >= SPLIT_BATCH_MIN_WORK)).toBe(true);
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i equals cpu on random inputs', async (i, c) => {
    const av = normals(
      c.a.reduce((p, q) => p * q),
      500 + i,
    );
    const bv = normals(
      c.b.reduce((p, q) => p * q),
      600 + i,
    );
    const f = () => [tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb)];
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(relativeError(wasm!, cpu!)).toBeLessThan(1e-5);
  });

  it('gives Dense gradients through tf.grad as cpu does', async () => {
    const xv = normals(32 * 50, 1);
    const wv = normals(50 * 10, 2);
    const f = () => {
      const x = tf.tensor2d(xv, [32, 50]);
      const [dx, dw] = tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.tanh(tf.matMul(a, w))))([
        x,
        tf.tensor2d(wv, [50, 10]),
      ]);
      return [dx!, dw!];
    };
    const cpu = await valuesOn('cpu', f);
    const wasm = await valuesOn('wasm', f);
    for (let i = 0; i < 2; i++) expect(relativeError(wasm[i]!, cpu[i]!)).toBeLessThan(1e-5);
  });
});
