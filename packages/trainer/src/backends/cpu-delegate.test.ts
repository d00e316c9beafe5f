import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { normals, relativeError, valuesOn } from './test-support.js';

describe('gradient kernels wasm lacks, run on cpu', () => {
  it('UnsortedSegmentSum (the Embedding gradient) equals cpu, int32 ids included', async () => {
    const xv = normals(12 * 5, 3);
    const ids = [0, 3, 3, 1, 0, 6, 2, 2, 3, 0, 1, 5];
    const f = () => [tf.unsortedSegmentSum(tf.tensor2d(xv, [12, 5]), tf.tensor1d(ids, 'int32'), 7)];
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(wasm!.length).toBe(35);
    expect(relativeError(wasm!, cpu!)).toBeLessThan(1e-6);
  });

  it('DepthwiseConv2D input and filter gradients equal cpu', async () => {
    const xv = normals(2 * 9 * 9 * 3, 4);
    const fv = normals(3 * 3 * 3 * 2, 5);
    const f = () => {
      const loss = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.sum(tf.tanh(tf.depthwiseConv2d(x, w, [2, 2], 'same')));
      const [dx, dw] = tf.grads(loss as (...a: tf.Tensor[]) => tf.Tensor)([
        tf.tensor4d(xv, [2, 9, 9, 3]),
        tf.tensor4d(fv, [3, 3, 3, 2]),
      ]);
      return [dx!, dw!];
    };
    const cpu = await valuesOn('cpu', f);
    const wasm = await valuesOn('wasm', f);
    for (let i = 0; i < 2; i++) expect(relativeError(wasm[i]!, cpu[i]!)).toBeLessThan(1e-5);
  });
});
