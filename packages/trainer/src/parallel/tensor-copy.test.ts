import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '@dpledger/trainer';
import { copyTensorInto, viewOf } from './tensor-copy.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(['wasm', 'cpu'] as const)('copyTensorInto on %s', (backend) => {
  it('writes the values at the offset, for float32, int32 and bool, into shared and plain arrays', async () => {
    await useBackend(backend);
    const f = tf.tensor2d([
      [1.5, -2],
      [3, 4.25],
    ]);
    const into = new Float32Array(new SharedArrayBuffer(6 * 4)).fill(9);
    expect(Array.from(copyTensorInto(f, into, 1))).toEqual([9, 1.5, -2, 3, 4.25, 9]);
    const i = tf.tensor1d([7, -8, 2 ** 30], 'int32');
    expect(Array.from(copyTensorInto(i, new Int32Array(3)))).toEqual([7, -8, 2 ** 30]);
    const b = tf.tensor1d([true, false, true], 'bool');
    expect(Array.from(copyTensorInto(b, new Uint8Array(3)))).toEqual([1, 0, 1]);
    // a view of a reshaped tensor (shared bytes) and of a slice (own bytes) copy what they hold
    const r = f.reshape([4]);
    const s = tf.slice(f, [1, 0], [1, 2]);
    expect(Array.from(copyTensorInto(r, new Float32Array(4)))).toEqual([1.5, -2, 3, 4.25]);
    expect(Array.from(copyTensorInto(s, new Float32Array(2)))).toEqual([3, 4.25]);
    tf.dispose([f, i, b, r, s]);
  });

  it('reads data the engine still has to move from another backend (made on cpu, read under wasm)', async () => {
    await useBackend('cpu');
    const t = tf.tensor1d([1, 2, 3]);
    await useBackend(backend);
    expect(Array.from(copyTensorInto(t, new Float32Array(3)))).toEqual([1, 2, 3]);
    t.dispose();
  });
});

describe('viewOf', () => {
  it('views the slab with the dtype tfjs stores (bool as one byte)', () => {
    const sab = new SharedArrayBuffer(16);
    expect(viewOf('float32', sab, 8, 2)).toBeInstanceOf(Float32Array);
    expect(viewOf('int32', sab, 0, 4)).toHaveLength(4);
    expect(viewOf('bool', sab, 4, 3)).toBeInstanceOf(Uint8Array);
  });
});
