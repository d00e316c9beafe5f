import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { maxPoolGrad2x2On } from './simd/max-pool-grad-2x2.js';
import { normals, relativeError, valuesOn } from './test-support.js';
import { useBackend } from './use-backend.js';

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

describe('MaxPoolGrad on wasm, the SIMD 2x2 kernel (4 channels per vector)', () => {
  /** Values with many ties, zeros of both signs, -Infinity and NaN, so every branch of the first-maximum rule runs. */
  function awkward(size: number, seed: number): Float32Array {
    const special = [0, -0, -Infinity, NaN, 1, -1];
    return normals(size, seed).map((z, i) => (i % 7 === 3 ? special[i % special.length]! : Math.round(z * 2) / 2));
  }

  it.each<{ shape: [number, number, number, number]; strides: number | [number, number] }>([
    { shape: [3, 7, 7, 8], strides: 1 },
    { shape: [2, 9, 8, 4], strides: 2 },
    { shape: [2, 6, 6, 32], strides: [1, 2] },
  ])('equals cpu bit for bit on ties, signed zeros, -Infinity and NaN: %o', async ({ shape, strides }) => {
    const xv = awkward(
      shape.reduce((p, q) => p * q, 1),
      shape[3],
    );
    const f = () => {
      const x = tf.tensor4d(xv, shape);
      const pooled = (v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, 2, strides, 'valid');
      const w = tf.tensor(awkward(pooled(x).size, 5), pooled(x).shape);
      return [tf.grad((v: tf.Tensor) => tf.sum(tf.mul(pooled(v), w)))(x)];
    };
    const [cpu] = await valuesOn('cpu', f);
    const [wasm] = await valuesOn('wasm', f);
    expect(Array.from(wasm!)).toEqual(Array.from(cpu!));
  });

  it('runs here (WebAssembly SIMD on the backend memory) and follows the scalar rule on the heap', async () => {
    await useBackend('wasm');
    const memory = (tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory;
    const kernel = maxPoolGrad2x2On(memory);
    expect(kernel).not.toBeNull();
    const [b, h, w, c] = [2, 5, 5, 4];
    const xv = awkward(b * h * w * c, 21);
    const dyv = normals(b * 4 * 4 * c, 22);
    const [x, dy, dx] = [tf.tensor4d(xv, [b, h, w, c]), tf.tensor4d(dyv, [b, 4, 4, c]), tf.zeros([b, h, w, c])];
    const heap = (t: tf.Tensor) =>
      (tf.backend() as unknown as { typedArrayFromHeap(i: tf.Tensor): Float32Array }).typedArrayFromHeap(t);
    kernel!(heap(x).byteOffset, heap(dy).byteOffset, heap(dx).byteOffset, b, h, w, c, 4, 4, 1, 1);
    const want = new Float32Array(b * h * w * c);
    for (let n = 0; n < b; n++)
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++)
          for (let k = 0; k < c; k++) {
            let at = -1;
            let best = -Infinity;
            for (const [di, dj] of [
              [0, 0],
              [0, 1],
              [1, 0],
              [1, 1],
            ] as const) {
              const p = (((n * h + i + di) * w + j + dj) * c + k) as number;
              if (xv[p]! > best) [best, at] = [xv[p]!, p];
            }
            if (at >= 0) want[at] = want[at]! + dyv[((n * 4 + i) * 4 + j) * c + k]!;
          }
    expect(Array.from(heap(dx))).toEqual(Array.from(want));
    tf.dispose([x, dy, dx]);
  });

  it('gives null (the scalar loop) for a memory it cannot import, such as a shared one, and for no memory', () => {
    expect(maxPoolGrad2x2On(new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true }))).toBeNull();
    expect(maxPoolGrad2x2On(undefined)).toBeNull();
  });

  it('the committed module is the compiled .wat (npm run gen:wasm leaves nothing to change)', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = new URL('../../scripts/gen-wasm.mjs', import.meta.url);
    expect(() => execFileSync(process.execPath, [script.pathname, '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
