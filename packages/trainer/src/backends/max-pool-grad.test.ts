import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { normals, relativeError, valuesOn } from './test-support.js';

interface Case {
  shape: [number, number, number, number];
  pool: [number, number];
  strides: [number, number];
  pad: 'valid' | 'same';
}

const cases: Case[] = [
  { shape: [4, 14, 14, 16], pool: [2, 2], strides: [1, 1], pad: 'valid' }, // Papernot et al. 2020 after conv1
  { shape: [3, 8, 8, 4], pool: [2, 2], strides: [2, 2], pad: 'valid' },
  { shape: [3, 9, 7, 2], pool: [3, 3], strides: [2, 2], pad: 'same' },
  { shape: [2, 6, 5, 3], pool: [2, 3], strides: [1, 2], pad: 'same' },
];

/** Gradient of sum(w * maxPool(tanh(x - 0.5))) with respect to x: most windows have a maximum <= 0. */
function tanhPoolGrad(c: Case, seed: number): () => tf.Tensor[] {
  const xv = normals(
    c.shape.reduce((p, q) => p * q),
    seed,
  );
  return () => {
    const x = tf.tensor4d(xv, c.shape);
    const pooled = (v: tf.Tensor) => tf.maxPool(tf.tanh(tf.sub(v, 0.5)) as tf.Tensor4D, c.pool, c.strides, c.pad);
    const w = tf.tensor(normals(pooled(x).size, seed + 1), pooled(x).shape);
    return [tf.grad((v: tf.Tensor) => tf.sum(tf.mul(pooled(v), w)))(x)];
  };
}

describe('MaxPoolGrad on wasm', () => {
  it.each(cases.map((c, i) => [i, c] as const))('tanh + maxpool case %i equals cpu', async (i, c) => {
    const f = tanhPoolGrad(c, 300 + 11 * i);
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(relativeError(wasm!, cpu!)).toBeLessThan(1e-6);
  });

  it('passes gradient through windows whose maximum is negative', async () => {
    const f = () => {
      const x = tf.tensor4d([-3, -1, -2, -4], [1, 2, 2, 1]);
      return [tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 1, 'valid')))(x)];
    };
    const [wasm] = await valuesOn('wasm', f);
    expect(Array.from(wasm!)).toEqual([0, 1, 0, 0]);
  });

  it('sends a tie to the first maximum of the window, as cpu does', async () => {
    const f = () => {
      const x = tf.tensor4d([0, 2, 2, 1, 2, 0, 0, 0, 1], [1, 3, 3, 1]);
      return [tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 1, 'valid')))(x)];
    };
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(Array.from(wasm!)).toEqual(Array.from(cpu!));
  });

  it('treats -Infinity and NaN in a 2x2 window as cpu does', async () => {
    const v = [
      -Infinity,
      -Infinity,
      NaN,
      -Infinity,
      -Infinity,
      -Infinity,
      -Infinity,
      2,
      -Infinity,
      NaN,
      NaN,
      1,
      -Infinity,
      -Infinity,
      3,
      NaN,
    ];
    const f = () => {
      const x = tf.tensor4d(v, [1, 4, 4, 1]);
      const w = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
      return [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 1, 'valid'), w)))(x)];
    };
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(Array.from(wasm!)).toEqual(Array.from(cpu!));
  });

  it('MaxPool3DGrad (MaxPooling3D) equals cpu when windows are all negative', async () => {
    const xv = normals(2 * 6 * 6 * 4 * 2, 77);
    const f = () => {
      const x = tf.tensor5d(xv, [2, 6, 6, 4, 2]);
      const pooled = (v: tf.Tensor) => tf.maxPool3d(tf.sub(tf.tanh(v), 1) as tf.Tensor5D, 2, 1, 'valid');
      const w = tf.tensor(normals(pooled(x).size, 78), pooled(x).shape);
      return [tf.grad((v: tf.Tensor) => tf.sum(tf.mul(pooled(v), w)))(x)];
    };
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(relativeError(wasm!, cpu!)).toBeLessThan(1e-6);
  });
});
