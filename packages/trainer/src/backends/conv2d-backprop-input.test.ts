import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { makeConv2DBackpropInput } from './conv2d-backprop-input.js';
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
  { x: [2, 10, 11, 2], filter: [3, 2, 2, 4], strides: [3, 2], pad: 'valid' }, // rows and columns no window reaches
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
  { x: [2, 8, 9, 4], filter: [5, 4, 4, 3], strides: [2, 2], pad: 'same' },
  { x: [4, 5, 1, 3], filter: [3, 1, 3, 4], strides: [1, 1], pad: 'same' }, // Conv1D runs as a 2-D conv of width 1
];

function inputGrad(c: Case, seed: number): () => tf.Tensor[] {
  const outShape = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
  const wv = normals(
    c.filter.reduce((p, q) => p * q),
    seed,
  );
  const dyv = normals(
    outShape.reduce((p, q) => p * q),
    seed + 1,
  );
  return () => {
    const filter = tf.tensor4d(wv, c.filter);
    const dy = tf.tensor4d(dyv, outShape);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x };
    return [tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs as never) as tf.Tensor];
  };
}

describe('Conv2DBackpropInput on wasm (matMul + col2im)', () => {
  it("is registered by useBackend('wasm') in place of the stock scalar loop", async () => {
    await useBackend('wasm');
    expect(Symbol.for('@dpledger/trainer/wasm-fix') in tf.getKernel('Conv2DBackpropInput', 'wasm').kernelFunc).toBe(
      true,
    );
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i equals cpu on random inputs', async (i, c) => {
    const f = inputGrad(c, 500 + 7 * i);
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(wasm!.length).toBe(c.x.reduce((p, q) => p * q));
    expect(relativeError(wasm!, cpu!)).toBeLessThan(1e-5);
  });

  it('gives the input gradient of a Conv2D through tf.grad, as cpu does', async () => {
    const xv = normals(2 * 12 * 12 * 3, 15);
    const fv = normals(5 * 5 * 3 * 4, 16);
    const f = () => {
      const w = tf.tensor4d(fv, [5, 5, 3, 4]);
      const grad = tf.grad((x: tf.Tensor) =>
        tf
          .conv2d(x as tf.Tensor4D, w, [2, 2], 'same')
          .tanh()
          .sum(),
      );
      return [grad(tf.tensor4d(xv, [2, 12, 12, 3]))];
    };
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(relativeError(wasm!, cpu!)).toBeLessThan(1e-5);
  });

  it('handles channels-first gradients through the stock kernel', async () => {
    const wv = normals(3 * 3 * 3 * 4, 18);
    const dyv = normals(2 * 4 * 4 * 4, 19);
    const f = () => {
      const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NCHW', inputShape: [2, 3, 6, 6] };
      const inputs = { dy: tf.tensor4d(dyv, [2, 4, 4, 4]), filter: tf.tensor4d(wv, [3, 3, 3, 4]) };
      return [tf.engine().runKernel('Conv2DBackpropInput', inputs, attrs as never) as tf.Tensor];
    };
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(relativeError(wasm!, cpu!)).toBeLessThan(1e-5);
  });

  it('gives the same result when the column matrix is split into blocks', async () => {
    const c = cases[7]!;
    const [whole] = await valuesOn('wasm', inputGrad(c, 41));
    await useBackend('wasm');
    const blocked = makeConv2DBackpropInput(
      tf.getKernel('BatchMatMul', 'wasm').kernelFunc,
      delegateToCpu('Conv2DBackpropInput'),
      64,
    );
    const outShape = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
    const filter = tf.tensor4d(
      normals(
        c.filter.reduce((p, q) => p * q),
        41,
      ),
      c.filter,
    );
    const dy = tf.tensor4d(
      normals(
        outShape.reduce((p, q) => p * q),
        42,
      ),
      outShape,
    );
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x };
    const info = blocked({ inputs: { dy, filter }, backend: tf.backend(), attrs: attrs as never }) as tf.TensorInfo;
    const values = Float32Array.from(tf.backend().readSync(info.dataId) as Float32Array);
    tf.backend().disposeData(info.dataId);
    tf.dispose([filter, dy]);
    expect(relativeError(values, whole!)).toBeLessThan(1e-5);
  });
});
