import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nativeGemm, nativeGemmSwitch, type NativeGemm } from '../backends/native-gemm.js';
import { normals, relativeError } from '../backends/test-support.js';
import { useBackend } from '../backends/use-backend.js';
import { DPTrainer } from '../training/dp-trainer.js';
import { clipAndAccumulate } from './accumulate.js';
import { clipCoefficients } from './clipping.js';
import { clipFactors, clippedOuterSum, denseSqNorms, weightedRowSum } from './heap-ops.js';
import * as fixtures from './models.fixture.js';
import { relErr } from './reference-loop.fixture.js';

const addon = () => createRequire(import.meta.url)('../../native/build/Release/dpledger_native.node') as NativeGemm;
const same = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));
/** Each example's |x_i|^2 in float64, from the float32 inputs. */
const rowSq = (x: Float32Array, rows: number) => {
  const cols = x.length / rows;
  return Float64Array.from({ length: rows }, (_, i) => {
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[i * cols + j]! ** 2;
    return s;
  });
};

describe('per-example statistics on the wasm heap (heap-ops.ts, native/heap-ops.cc)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterEach(() => {
    nativeGemmSwitch.off = false;
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('runs here: the addon is built and loaded with its row functions', () => {
    expect(nativeGemm(), 'the native addon is built and loaded').not.toBeNull();
    expect(typeof nativeGemm()!.rowSqNorms).toBe('function');
  });

  it('dense norms are |a_i|^2 |g_i|^2 and |g_i|^2 to float32 rounding, for row lengths around the 16 lanes', () => {
    for (const [b, inDim, units] of [
      [1, 1, 1],
      [7, 15, 10],
      [5, 16, 33],
      [3, 17, 1],
      [256, 784, 512],
    ] as const) {
      const [av, gv] = [normals(b * inDim, b + inDim), normals(b * units, units)];
      const [a, g] = [tf.tensor2d(av, [b, inDim]), tf.tensor2d(gv, [b, units])];
      const [kernel, bias] = denseSqNorms(a, g)!;
      const [ra, rg] = [rowSq(av, b), rowSq(gv, b)];
      const want = [Float32Array.from(ra, (v, i) => v * rg[i]!), Float32Array.from(rg)];
      expect(relativeError(kernel.dataSync() as Float32Array, want[0]!), `${b}x${inDim}`).toBeLessThan(1e-6);
      expect(relativeError(bias.dataSync() as Float32Array, want[1]!), `${b}x${units}`).toBeLessThan(1e-6);
      // a rank-3 input of one position gives the same
      const [k3] = denseSqNorms(a.reshape([b, 1, inDim]), g)!;
      expect(same(k3.dataSync(), kernel.dataSync())).toBe(true);
      tf.dispose([a, g, kernel, bias, k3]);
    }
  });

  it('the clipped sums are bit for bit the tensor ops on the same backend (a^T diag(c) g and c^T g)', () => {
    for (const [b, inDim, units] of [
      [1, 3, 2],
      [9, 17, 10],
      [256, 784, 512],
    ] as const) {
      const a = tf.tensor2d(normals(b * inDim, 1), [b, inDim]);
      const g = tf.tensor2d(normals(b * units, 2), [b, units]);
      const c = tf.tensor1d(Float32Array.from(normals(b, 3), (v) => Math.min(1, Math.abs(v))));
      const kernel = clippedOuterSum(a, g, c)!;
      const bias = weightedRowSum(g, c)!;
      const ops = tf.tidy(() => [
        tf.matMul(a, g.mul(c.reshape([b, 1])), true),
        c.reshape([1, b]).matMul(g).reshape([units]),
      ]);
      expect(kernel.shape).toEqual([inDim, units]);
      expect(bias.shape).toEqual([units]);
      expect(same(kernel.dataSync(), ops[0]!.dataSync()), `kernel ${b}x${inDim}x${units}`).toBe(true);
      expect(same(bias.dataSync(), ops[1]!.dataSync()), `bias ${b}x${units}`).toBe(true);
      tf.dispose([a, g, c, kernel, bias, ...ops]);
    }
  });

  it('clip factors are bit for bit the tensor ops: flat, per weight, per layer; 0, subnormal, huge, inf, NaN', () => {
    const special = [0, 1e-45, 1e-30, 1e-10, 0.25, 1, 3.9, 1e30, 3e38, Infinity, NaN];
    const b = special.length * 3;
    const sq = [0, 1, 2, 3].map((w) =>
      tf.tensor1d(Float32Array.from({ length: b }, (_, i) => (i % 3 === w % 3 ? special[i % special.length]! : i / 7))),
    );
    for (const [groups, clipNorms] of [
      [[[0, 1, 2, 3]], [1]],
      [[[0, 1, 2, 3]], [0.1]],
      [
        [[0], [1], [2], [3]],
        [0.5, 1, 2, 1e-3],
      ],
      [
        [
          [0, 1],
          [2, 3],
        ],
        [3.7, 0.3],
      ],
    ] as [number[][], number[]][]) {
      const heap = clipFactors(sq, groups, clipNorms)!;
      const ops = tf.tidy(() => {
        const norms = tf.addN(sq).sqrt() as tf.Tensor1D;
        return [norms, ...clipCoefficients(sq, { groups, clipNorms }, norms)];
      });
      expect(same(heap.norms.dataSync(), ops[0]!.dataSync()), 'norms').toBe(true);
      heap.coeffs.forEach((c, w) => {
        expect(same(c.dataSync(), ops[w + 1]!.dataSync()), `weight ${w} of ${JSON.stringify(groups)}`).toBe(true);
      });
      tf.dispose([heap.norms, ...new Set(heap.coeffs), ...new Set(ops)]);
    }
    const normsOnly = clipFactors(sq, null, [])!;
    expect(normsOnly.coeffs).toEqual([]);
    tf.dispose([normsOnly.norms, ...sq]);
  });

  it('answers null where it does not apply: addon switched off, another dtype, another backend', async () => {
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const n = tf.tensor1d([1, 2]);
    nativeGemmSwitch.off = true;
    expect(denseSqNorms(a, a)).toBeNull();
    expect(clipFactors([n], [[0]], [1])).toBeNull();
    nativeGemmSwitch.off = false;
    const ints = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    expect(denseSqNorms(ints, a)).toBeNull();
    expect(weightedRowSum(a, tf.tensor1d([1, 2], 'int32'))).toBeNull();
    tf.dispose([a, n, ints]);
    await tf.setBackend('cpu');
    const onCpu = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    expect(clippedOuterSum(onCpu, onCpu, tf.tensor1d([1, 1]))).toBeNull();
    await useBackend('wasm');
  });

  it('the addon refuses operands outside the memory (overflowing sizes included) and writes nothing', () => {
    const mem = new ArrayBuffer(64);
    const f = new Float32Array(mem);
    f.set([1, 2, 3, 4, 5, 6]);
    const before = Float32Array.from(f);
    const a = addon();
    expect(() => a.rowSqNorms(mem, 0, 60, 2, 3)).toThrow(/outside/); // out runs past the end
    expect(() => a.rowSqNorms(mem, 0, 32, 2 ** 31, 2 ** 40)).toThrow(/outside/); // rows * cols overflows
    expect(() => a.rowSqNorms(mem, 2, 32, 2, 3)).toThrow(/outside/); // unaligned
    expect(() => a.scaleRows(mem, 0, 60, 32, 2, 3)).toThrow(/outside/);
    expect(() => a.scaleRows(mem, 0, 24, 48, 2, 3)).toThrow(/outside/);
    expect(() => a.sgdStep(mem, 0, 8, 60, 2, 0.1)).toThrow(/outside/);
    expect(() => a.momentumStep(mem, 0, 8, 16, 24, 60, 2, 0.1, 0.9)).toThrow(/outside/);
    expect(() => a.sgdStep(mem, 0, 8, 16, 2 ** 40, 0.1)).toThrow(/outside/);
    expect(() => a.rowSqNorms(mem, -4, 32, 2, 3)).toThrow(/integers/);
    expect(() => (a.rowSqNorms as (...x: unknown[]) => void)(new Float32Array(4), 0, 0, 1, 1)).toThrow(/ArrayBuffer/);
    expect(same(f, before)).toBe(true);
    a.rowSqNorms(mem, 0, 32, 2, 3);
    a.scaleRows(mem, 0, 32, 40, 2, 3); // rows scaled by their own squared norms 14 and 77
    expect(Array.from(f.subarray(8, 16))).toEqual([14, 77, 14, 28, 42, 308, 385, 462]);
  });

  it('an MLP step on the heap runs far fewer tfjs kernels than the tensor ops, with the same result', async () => {
    const c = fixtures.mlp(64);
    const opts = { loss: c.loss, clipping: { kind: 'flat', clipNorm: 0.5 } } as const;
    const run = async (off: boolean) => {
      nativeGemmSwitch.off = off;
      let out: number[][] = [];
      const info = await tf.profile(() => {
        const r = clipAndAccumulate(c.model, c.xs, c.ys, opts);
        out = [...r.sums, r.norms].map((t) => Array.from(t.dataSync()));
        tf.dispose([...r.sums, r.norms, r.lossSum]);
      });
      return { out, kernels: info.kernels.length };
    };
    const [heap, ops] = [await run(false), await run(true)];
    expect(heap.kernels, `${heap.kernels} kernels against ${ops.kernels}`).toBeLessThan(ops.kernels - 20);
    heap.out.forEach((v, i) => {
      expect(relativeError(Float32Array.from(v), Float32Array.from(ops.out[i]!)), `output ${i}`).toBeLessThan(1e-5);
    });
    tf.dispose([c.xs, c.ys]);
    c.model.dispose();
  });

  it('two seeded momentum DP steps (noise, clipping, update) on wasm, 2 threads, equal cpu (1e-4)', async () => {
    // the whole step over the heap path: the same ChaCha20 noise, the clipped sums and the native momentum update
    const steps = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      const c = fixtures.tanhCnn(12);
      const t = new DPTrainer({
        model: c.model,
        loss: c.loss,
        optimizer: { kind: 'momentum', learningRate: 0.5, momentum: 0.9 },
        clipNorm: 0.1,
        noiseMultiplier: 1.8,
        expectedBatchSize: 12,
        datasetSize: 6000,
        seed: '000102030405060708090a0b0c0d0e0f',
        threads: backend === 'wasm' ? 2 : 1,
        maxPhysicalBatchSize: 6,
      });
      for (let k = 0; k < 2; k++) expect((await t.step(c.xs, c.ys)).applied).toBe(true);
      const w = c.model.trainableWeights.map((v) => Float32Array.from(v.read().dataSync()));
      await t.close();
      tf.dispose([c.xs, c.ys]);
      return w;
    };
    const [onCpu, onWasm] = [await steps('cpu'), await steps('wasm')];
    onWasm.forEach((w, i) => expect(relErr(w, onCpu[i]!), `weight ${i}`).toBeLessThan(1e-4));
  });
});
