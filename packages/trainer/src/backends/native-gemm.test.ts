import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNativeGemm, nativeGemm, nativeGemmStatus, type NativeGemm } from './native-gemm.js';
import { product as run, TILE_EDGE_CASES, WASM_PATH_CASES } from './mat-mul-cases.fixture.js';
import { normals, relativeError, valuesOn } from './test-support.js';
import { backendChoice, useBackend } from './use-backend.js';

/** The addon with its test-only switch: select('avx2' | 'avx512' | 'auto') picks this thread's kernel. */
type Addon = NativeGemm & { select(isa: string): string };
const addon = () => createRequire(import.meta.url)('../../native/build/Release/dpledger_native.node') as Addon;

const cases = [...WASM_PATH_CASES, ...TILE_EDGE_CASES];

describe('native GEMM (native/gemm.cc) under the wasm BatchMatMul', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('is built and loaded on this machine (npm install builds it), and the backend choice says so', async () => {
    expect(await loadNativeGemm(), nativeGemmStatus()).not.toBeNull();
    expect(['avx512', 'avx2']).toContain(nativeGemm()!.kernel);
    expect(backendChoice()?.reason).toContain(`matMul on the native ${nativeGemm()!.kernel} GEMM`);
  });

  for (const isa of ['avx512', 'avx2'] as const) {
    it(`${isa}: every case equals the cpu backend to 1e-5 (relative), transposes, batches and tile edges`, async () => {
      const a = addon();
      const cpu = await Promise.all(cases.map(async (c, i) => (await valuesOn('cpu', run(c, 10 * i)))[0]!));
      try {
        a.select(isa);
      } catch {
        // a CPU without this instruction set: the kernel picked at load covers it, checked under the other name
        expect(nativeGemm()!.kernel).not.toBe(isa);
        return;
      }
      try {
        for (const [i, c] of cases.entries()) {
          const [ours] = await valuesOn('wasm', run(c, 10 * i));
          expect(ours!.length, JSON.stringify(c)).toBe(cpu[i]!.length);
          expect(relativeError(ours!, cpu[i]!), JSON.stringify(c)).toBeLessThan(1e-5);
        }
      } finally {
        a.select('auto');
      }
    });
  }

  it('_FusedMatMul (Dense) equals cpu: on it with bias and relu, other activations on the stock kernel', async () => {
    // the stock kernel alone is 0.9 off with any transpose flag (DPLEDGER_NATIVE=0 runs this test without the GEMM)
    for (const activation of ['linear', 'relu', 'elu'] as const) {
      for (const [ta, tb] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        const f = () => {
          const a = tf.tensor(normals(6 * 40, 1), ta ? [40, 6] : [6, 40]);
          const b = tf.tensor(normals(40 * 9, 2), tb ? [9, 40] : [40, 9]);
          const bias = tf.tensor1d(normals(9, 3));
          return [tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias, activation })];
        };
        const [cpu] = await valuesOn('cpu', f);
        const [ours] = await valuesOn('wasm', f);
        expect(relativeError(ours!, cpu!), `${activation} ${ta} ${tb}`).toBeLessThan(1e-5);
      }
    }
  });

  it('gemm and addNoise refuse an operand outside the memory and a wrong argument, writing nothing', () => {
    const g = addon();
    const mem = new ArrayBuffer(4 * 64);
    const view = new Float32Array(mem).fill(7);
    // A [1, 4, 4] at 0, B [1, 4, 4] at 64 bytes, C [1, 4, 4] at 128 bytes: fits
    g.gemm(mem, 0, 64, 128, 1, 1, 4, 4, 4, false, false);
    expect(view[32]).toBe(7 * 7 * 4);
    view.fill(7);
    for (const bad of [
      [mem, 0, 64, 196, 1, 1, 4, 4, 4, false, false], // C runs 4 bytes past the end
      [mem, 0, 64, 128, 5, 1, 4, 4, 4, false, false], // five A matrices run past the end
      [mem, 2, 64, 128, 1, 1, 4, 4, 4, false, false], // unaligned
      [mem, -4, 64, 128, 1, 1, 4, 4, 4, false, false],
      [mem, 0, 64, 128, 2, 3, 2, 2, 2, false, false], // batches neither equal nor 1
      [mem, 0, 64, 128, 1, 1, 4.5, 4, 4, false, false],
      [new Float32Array(mem), 0, 64, 128, 1, 1, 4, 4, 4, false, false], // a view, not the buffer
      [mem, 0, 64, 128, 1, 1, 4, 4, 4, 0, false],
      // 2^30 x 2^17 x 2^17 floats per operand: 2^64 wraps to 0 in 64-bit arithmetic, which would pass a bounds test
      [mem, 0, 0, 0, 2 ** 30, 2 ** 30, 2 ** 17, 2 ** 17, 2 ** 17, false, false],
    ]) {
      expect(() => (g.gemm as (...a: unknown[]) => void)(...bad), JSON.stringify(bad.slice(1))).toThrow(RangeError);
    }
    expect(view.every((v) => v === 7)).toBe(true);
    const z = new Float32Array(16).fill(1);
    const add = g.addNoise.bind(g) as (...a: unknown[]) => void;
    for (const bad of [
      [mem, 0, 196, z, 1, 1], // out runs past the end
      [mem, 200, 0, z, 1, 1], // x runs past the end
      [mem, 2, 64, z, 1, 1], // unaligned
      [mem, 0, 64, new Float64Array(16), 1, 1], // not float32 samples
    ]) {
      expect(() => add(...bad), JSON.stringify(bad.slice(1, 3))).toThrow(RangeError);
    }
    expect(view.every((v) => v === 7)).toBe(true);
    add(mem, 0, 64, z, 2, 1); // x = 7 -> 7 * 2 + 1
    expect(view[16]).toBe(15);
  });

  it('leaves batches that broadcast otherwise than all-or-one to the wasm path, equal to cpu', async () => {
    const f = () => [
      tf.matMul(tf.tensor(normals(24, 5), [2, 1, 3, 4]), tf.tensor(normals(60, 6), [1, 3, 4, 5])), // [2, 3, 3, 5]
    ];
    const [cpu] = await valuesOn('cpu', f);
    const [ours] = await valuesOn('wasm', f);
    expect(relativeError(ours!, cpu!)).toBeLessThan(1e-5);
  });
});
