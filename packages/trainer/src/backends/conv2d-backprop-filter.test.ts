import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { delegateToCpu } from './cpu-delegate.js';
import { normals, relativeError, valuesOn } from './test-support.js';
import { useBackend } from './use-backend.js';

type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
}

const cases: Case[] = [
  { x: [3, 28, 28, 1], filter: [8, 8, 1, 16], strides: [2, 2], pad: 'same' }, // Papernot et al. 2020 conv1
  { x: [3, 13, 13, 16], filter: [4, 4, 16, 32], strides: [2, 2], pad: 'valid' }, // Papernot et al. 2020 conv2
  { x: [2, 9, 7, 3], filter: [3, 3, 3, 5], strides: [1, 1], pad: 'same' },
  { x: [2, 10, 11, 2], filter: [3, 2, 2, 4], strides: [3, 2], pad: 'valid' },
  { x: [2, 8, 8, 3], filter: [1, 1, 3, 6], strides: [1, 1], pad: 'valid' },
  { x: [2, 7, 9, 2], filter: [3, 3, 2, 3], strides: [2, 1], pad: 1 },
  {
    x: [1, 6, 6, 2],
    filter: [2, 3, 2, 2],
    strides: [1, 2],
    pad: [
      [0, 0],
      [1, 0],
      [2, 1],
      [0, 0],
    ],
  },
  { x: [4, 5, 1, 3], filter: [3, 1, 3, 4], strides: [1, 1], pad: 'same' }, // Conv1D runs as a 2-D conv of width 1
];

function filterGrad(c: Case, seed: number): () => tf.Tensor[] {
  const outShape = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
  const xv = normals(
    c.x.reduce((p, q) => p * q),
    seed,
  );
  const dyv = normals(
    outShape.reduce((p, q) => p * q),
    seed + 1,
  );
  return () => {
    const x = tf.tensor4d(xv, c.x);
    const dy = tf.tensor4d(dyv, outShape);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
    return [tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor];
  };
}

describe('Conv2DBackpropFilter on wasm (im2col + matMul)', () => {
  it.each(cases.map((c, i) => [i, c] as const))('case %i equals cpu on random inputs', async (i, c) => {
    const f = filterGrad(c, 100 + 7 * i);
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(wasm!.length).toBe(c.filter.reduce((p, q) => p * q));
    expect(relativeError(wasm!, cpu!)).toBeLessThan(1e-5);
  });

  it('gives the filter gradient of a Conv2D through tf.grad, as cpu does', async () => {
    const xv = normals(2 * 12 * 12 * 3, 5);
    const fv = normals(5 * 5 * 3 * 4, 6);
    const f = () => {
      const x = tf.tensor4d(xv, [2, 12, 12, 3]);
      const grad = tf.grad((w: tf.Tensor) =>
        tf
          .conv2d(x, w as tf.Tensor4D, [2, 2], 'same')
          .tanh()
          .sum(),
      );
      return [grad(tf.tensor4d(fv, [5, 5, 3, 4]))];
    };
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(relativeError(wasm!, cpu!)).toBeLessThan(1e-5);
  });

  it('handles channels-first input through the cpu kernel', async () => {
    const xv = normals(2 * 3 * 6 * 6, 8);
    const dyv = normals(2 * 4 * 4 * 4, 9);
    const f = () => {
      const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] };
      const inputs = { x: tf.tensor4d(xv, [2, 3, 6, 6]), dy: tf.tensor4d(dyv, [2, 4, 4, 4]) };
      return [tf.engine().runKernel('Conv2DBackpropFilter', inputs, attrs as never) as tf.Tensor];
    };
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(relativeError(wasm!, cpu!)).toBeLessThan(1e-5);
  });

  it('gives the same result when the im2col matrix is split into blocks', async () => {
    const c = cases[2]!;
    const [whole] = await valuesOn('wasm', filterGrad(c, 41));
    await useBackend('wasm');
    const blocked = makeConv2DBackpropFilter(
      tf.getKernel('BatchMatMul', 'wasm').kernelFunc,
      delegateToCpu('Conv2DBackpropFilter'),
      64,
    );
    const outShape = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
    const x = tf.tensor4d(
      normals(
        c.x.reduce((p, q) => p * q),
        41,
      ),
      c.x,
    );
    const dy = tf.tensor4d(
      normals(
        outShape.reduce((p, q) => p * q),
        42,
      ),
      outShape,
    );
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
    const info = blocked({ inputs: { x, dy }, backend: tf.backend(), attrs: attrs as never }) as tf.TensorInfo;
    const values = Float32Array.from(tf.backend().readSync(info.dataId) as Float32Array);
    tf.backend().disposeData(info.dataId);
    tf.dispose([x, dy]);
    expect(relativeError(values, whole!)).toBeLessThan(1e-5);
  });
});
