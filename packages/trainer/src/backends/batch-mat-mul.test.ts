import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { SPLIT_BATCH_MIN_WORK } from './batch-mat-mul.js';
import { WASM_PATH_CASES as cases, product } from './mat-mul-cases.fixture.js';
import { nativeGemmSwitch } from './native-gemm.js';
import { normals, relativeError, valuesOn } from './test-support.js';

describe('BatchMatMul on wasm (native GEMM, or transposes materialised and large batches split)', () => {
  it('splits at least one of the cases', () => {
    expect(cases.some((c) => c.a.at(-1)! * c.a.at(-2)! * c.b.at(-1)! >= SPLIT_BATCH_MIN_WORK)).toBe(true);
  });

  for (const native of [false, true]) {
    it.each(cases.map((c, i) => [i, c] as const))(
      `case %i equals cpu on random inputs (${native ? 'the native GEMM' : 'the wasm path'})`,
      async (i, c) => {
        const f = product(c, 500 + i);
        const [cpu] = await valuesOn('cpu', f);
        nativeGemmSwitch.off = !native;
        try {
          const [wasm] = await valuesOn('wasm', f);
          expect(relativeError(wasm!, cpu!)).toBeLessThan(1e-5);
        } finally {
          nativeGemmSwitch.off = false;
        }
      },
    );
  }

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
