import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { normals, relativeError, valuesOn } from './test-support.js';
import { useBackend } from './use-backend.js';

describe('Identity on wasm (a shared reference, not a copy)', () => {
  it("is registered by useBackend('wasm') in place of the stock kernel", async () => {
    await useBackend('wasm');
    expect(Symbol.for('@dpledger/trainer/wasm-fix') in tf.getKernel('Identity', 'wasm').kernelFunc).toBe(true);
  });

  it('a clone outlives its source and frees the bytes with the last holder, as a fresh copy does', async () => {
    await useBackend('wasm');
    const left = (copy: (x: tf.Tensor) => tf.Tensor): number[] => {
      const [bytes, ids] = [tf.memory().numBytes, tf.backend().numDataIds()];
      const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
      const y = copy(x);
      x.dispose();
      const v = tf.variable(y);
      y.dispose();
      v.assign(tf.tidy(() => v.mul(2)));
      const values = Array.from(v.dataSync());
      v.dispose();
      return [...values, tf.memory().numBytes - bytes, tf.backend().numDataIds() - ids];
    };
    left((x) => x.mul(1)); // warm-up: tfjs caches the scalars it makes once
    const fresh = left((x) => x.mul(1));
    const shared = left((x) => x.clone());
    expect(shared.slice(0, 4)).toEqual([2, 4, 6, 8]);
    expect(shared).toEqual(fresh);
  });

  it('leaves int32 and bool values and customGrad gradients as on cpu', async () => {
    const logits = normals(6 * 5, 31);
    const f = () => {
      const y = tf.oneHot(tf.tensor1d([0, 4, 2, 1, 3, 0], 'int32'), 5);
      const grad = tf.grad((l: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, l))(tf.tensor2d(logits, [6, 5]));
      return [grad, tf.clone(tf.tensor1d([7, -3], 'int32')).toFloat(), tf.clone(tf.tensor1d([1, 0], 'bool')).toFloat()];
    };
    const cpu = await valuesOn('cpu', f);
    const wasm = await valuesOn('wasm', f);
    expect(relativeError(wasm[0]!, cpu[0]!)).toBeLessThan(1e-6);
    expect(wasm.slice(1).map((a) => Array.from(a))).toEqual([
      [7, -3],
      [1, 0],
    ]);
  });
});
