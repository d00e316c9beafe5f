import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { normals, relativeError, valuesOn } from './test-support.js';
import { useBackend } from './use-backend.js';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe('Tanh on wasm (2 sigmoid(2x) - 1)', () => {
  it("is registered by useBackend('wasm') in place of the stock kernel", async () => {
    await useBackend('wasm');
    expect(Symbol.for('@dpledger/trainer/wasm-fix') in tf.getKernel('Tanh', 'wasm').kernelFunc).toBe(true);
  });

  it('equals cpu to a few float32 ulps of 1 on random inputs over several scales', async () => {
    const v = normals(4 * 7 * 9 * 5, 61).map((z, i) => z * [0.01, 0.3, 1, 4][i % 4]!);
    const f = () => [tf.tanh(tf.tensor4d(v, [4, 7, 9, 5]))];
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(maxAbsDiff(wasm!, cpu!)).toBeLessThan(5e-7);
    expect(relativeError(wasm!, cpu!)).toBeLessThan(1e-6);
  });

  it('keeps the limits, signs and NaN', async () => {
    const edge = [0, 1e-30, -1e-30, 20, -20, 1e30, -1e30, Infinity, -Infinity, NaN];
    const [wasm] = await valuesOn('wasm', () => [tf.tanh(tf.tensor1d(edge))]);
    expect(Array.from(wasm!.slice(3, 9))).toEqual([1, -1, 1, -1, 1, -1]);
    for (const z of wasm!.slice(0, 3)) expect(Math.abs(z)).toBeLessThan(1e-7);
    expect(Number.isNaN(wasm![9])).toBe(true);
  });

  it('gives the gradient of a tanh layer as cpu does', async () => {
    const xv = normals(6 * 20, 62);
    const wv = normals(20 * 8, 63);
    const f = () => {
      const w = tf.tensor2d(wv, [20, 8]);
      return [
        tf.grad((x: tf.Tensor) =>
          tf
            .tanh(tf.matMul(x as tf.Tensor2D, w))
            .square()
            .sum(),
        )(tf.tensor2d(xv, [6, 20])),
      ];
    };
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(relativeError(wasm!, cpu!)).toBeLessThan(1e-5);
  });
});
