import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DPTrainer, fillGaussian, SecureRandomSource, SeededRandomSource } from '@dpledger/trainer';
import { GaussianNoiseStream } from './noise-prefetch.js';
import { nativeGemm, nativeGemmSwitch } from '../backends/native-gemm.js';
import { useBackend } from '../backends/use-backend.js';
import { addScaledNoise } from './gaussian-mechanism.js';
import { mathRandomInFreshWorker, withFixedWorkerMathRandom } from './fixed-math-random.fixture.js';
import { twoExamples } from './two-examples.fixture.js';

/** The stream's running worker (private: read here only to end it from outside). */
const workerOf = async (s: object) => (await (s as { worker?: Promise<Worker> }).worker)!;
const SIZE = 20000; // > 8,192 samples: several Ziggurat chunks and a partial one
const SEED = '0b16212c37424d58636e7984909ba6b1';
const START = 5; // a position inside the first ChaCha20 block: the worker must start mid-block exactly as inline does
const STD = 0.37; // a non-unit std: the worker must scale exactly as fillGaussian does

/** The buffers an inline fillGaussian gives from the seed's noise stream at `position`, one fill per buffer. */
function inlineBuffers(position: number, count: number): Float32Array[] {
  const src = new SeededRandomSource(SEED, { stream: 'noise', position });
  return Array.from({ length: count }, () => fillGaussian(src, new Float32Array(SIZE), STD) as Float32Array);
}

describe('GaussianNoiseStream', () => {
  it('a seeded worker gives bit for bit the buffers of fillGaussian, and position() follows consumption', async () => {
    const s = new GaussianNoiseStream(SIZE, { seeded: { seed: SEED, position: START } }, STD);
    expect(await s.prefetching()).toBe(true);
    const want = inlineBuffers(START, 3);
    const got = [await s.next(), await s.next(), await s.next()];
    got.forEach((b, i) => expect(b).toEqual(want[i]));
    expect(await s.prefetching()).toBe(true); // the worker answered all three (a dead one would have left it inline)
    expect(new Set(got.map((b) => b.buffer)).size).toBe(3); // every buffer is fresh
    const src = new SeededRandomSource(SEED, { stream: 'noise', position: START });
    for (let i = 0; i < 3; i++) fillGaussian(src, new Float32Array(SIZE), STD);
    expect(s.position()).toBe(src.position()); // as of the last consumed buffer, not the prefetched one
    const worker = await workerOf(s);
    const exited = once(worker, 'exit');
    s.close();
    await exited; // close terminates the worker
    // after close, a fresh worker continues from the consumed position
    expect(await s.next()).toEqual(inlineBuffers(src.position(), 1)[0]);
    s.close();
  });

  it('a seeded worker gives the very buffers of the previous (hand-ported) worker', async () => {
    // provenance: NOISE_WORKER_SOURCE of commit 74cfcf7 run with workerData { key: deriveSeedKey(SEED), stream: 1,
    // position: START, std: STD }, two { n: SIZE } requests; SHA-256 of each buffer's bytes and the position after it
    const want = [
      [41029, 'd3cdf19ec31138aea37e813717e8fe408128a87feaefe93f2b9c7464b24ef546'],
      [82053, 'dc18017c0e91b3c3f0cdad1932548855d33f4ef7c1e266a3b160715437cf04ac'],
    ];
    const s = new GaussianNoiseStream(SIZE, { seeded: { seed: SEED, position: START } }, STD);
    const got: (string | number | null)[][] = [];
    for (let i = 0; i < 2; i++) {
      const buf = await s.next();
      got.push([s.position(), createHash('sha256').update(new Uint8Array(buf.buffer)).digest('hex')]);
    }
    expect(await s.prefetching()).toBe(true);
    expect(got).toEqual(want);
    s.close();
  });

  it('continues the same stream inline when the worker crashes', async () => {
    const s = new GaussianNoiseStream(SIZE, { seeded: { seed: SEED, position: START } }, STD);
    const want = inlineBuffers(START, 4);
    expect(await s.next()).toEqual(want[0]);
    const worker = await workerOf(s);
    worker.postMessage({ n: -1 }); // a negative length throws inside the worker: an uncaught error ends it
    const got = [await s.next(), await s.next(), await s.next()];
    got.forEach((b, i) => expect(b).toEqual(want[i + 1]));
    expect(await s.prefetching()).toBe(false);
  });

  it('refills buffers handed back: after warm-up the worker allocates none, with the same output', async () => {
    const want = inlineBuffers(START, 6);
    const s = new GaussianNoiseStream(SIZE, { seeded: { seed: SEED, position: START } }, STD);
    const kept = new GaussianNoiseStream(SIZE, { seeded: { seed: SEED, position: START } }, STD); // never releases
    const handedBack: Float32Array[] = [];
    for (let i = 0; i < 6; i++) {
      const z = await s.next();
      expect(z).toEqual(want[i]);
      s.release(z);
      s.release(z); // twice: ignored (a buffer handed out twice would be a bug; transferring it twice throws)
      s.release(new Float32Array(SIZE + 1)); // not one of the stream's: ignored
      handedBack.push(z);
      expect(await kept.next()).toEqual(want[i]);
    }
    expect(await s.prefetching()).toBe(true); // every buffer came from the worker
    // the first two requests precede any release (the second is sent before the first buffer is consumed)
    expect(s.workerAllocations()).toBe(2);
    expect(kept.workerAllocations()).toBe(6); // the control: without release every step allocates
    // each handed-back buffer went to the worker, which empties the consumer's view: it cannot see later noise
    expect(handedBack.slice(0, 5).map((z) => z.length)).toEqual([0, 0, 0, 0, 0]);
    const src = new SeededRandomSource(SEED, { stream: 'noise', position: START });
    for (let i = 0; i < 6; i++) fillGaussian(src, new Float32Array(SIZE), STD);
    expect(s.position()).toBe(src.position());
    s.close();
    kept.close();
  });

  it('after a crash, the inline fill reuses handed-back buffers and continues the stream', async () => {
    const s = new GaussianNoiseStream(SIZE, { seeded: { seed: SEED, position: START } }, STD);
    const want = inlineBuffers(START, 5);
    expect(await s.next()).toEqual(want[0]);
    (await workerOf(s)).postMessage({ n: -1 }); // the worker throws and exits after answering the prefetch
    expect([await s.next(), await s.next()]).toEqual([want[1], want[2]]);
    expect(await s.prefetching()).toBe(false); // inline from here on
    const third = await s.next();
    expect(third).toEqual(want[3]);
    const buffer = third.buffer;
    s.release(third);
    const fourth = await s.next();
    expect(fourth).toEqual(want[4]); // every sample of the reused buffer is overwritten
    expect(fourth.buffer).toBe(buffer); // the handed-back buffer, filled inline
    // a caller that hands a buffer back and then transfers it elsewhere anyway: skipped, never filled
    s.release(fourth);
    structuredClone(buffer, { transfer: [buffer] });
    expect(await s.next()).toEqual(inlineBuffers(START, 6)[5]);
  });

  it('secure buffers are fresh standard normals', async () => {
    const s = new GaussianNoiseStream(SIZE, { secure: new SecureRandomSource() });
    expect(await s.prefetching()).toBe(true);
    const a = await s.next();
    const b = await s.next();
    expect(await s.prefetching()).toBe(true);
    expect(s.position()).toBeNull();
    expect(a.some((v, i) => v !== b[i])).toBe(true);
    const mean = a.reduce((m, v) => m + v, 0) / SIZE;
    const variance = a.reduce((m, v) => m + (v - mean) ** 2, 0) / SIZE;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(SIZE)); // 5 standard errors
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / SIZE)); // var of the sample variance: 2/n (normal)
    s.close();
  });

  it('a secure worker uses the CSPRNG: with Math.random fixed in every new worker, two still differ', async () => {
    await withFixedWorkerMathRandom(async () => {
      // the control: under the fixed seed, two workers drawing from Math.random would repeat each other
      expect(await mathRandomInFreshWorker()).toEqual(await mathRandomInFreshWorker());
      const a = new GaussianNoiseStream(SIZE, { secure: new SecureRandomSource() });
      const b = new GaussianNoiseStream(SIZE, { secure: new SecureRandomSource() });
      try {
        const za = [await a.next(), await a.next()];
        const zb = [await b.next(), await b.next()];
        expect([await a.prefetching(), await b.prefetching()]).toEqual([true, true]); // all came from the workers
        za.forEach((z, i) => expect(z.some((v, j) => v !== zb[i]![j])).toBe(true)); // a fixed seed would repeat too
      } finally {
        a.close();
        b.close();
      }
    });
  });
});

describe('DPTrainer noise worker', () => {
  it('trainer.close() terminates it; a later step starts a fresh one from the consumed position', async () => {
    await tf.setBackend('cpu');
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [3], units: 2, kernelInitializer: 'zeros' })],
    });
    const { x, y } = twoExamples();
    const t = new DPTrainer({
      model,
      loss: 'categoricalCrossentropy',
      fromLogits: true,
      optimizer: { kind: 'sgd', learningRate: 0.1 },
      clipNorm: 1,
      noiseMultiplier: 1,
      expectedBatchSize: 2,
      datasetSize: 10,
      seed: SEED,
    });
    await t.step(x, y);
    const noise = t.internals.noise!;
    const positionAfterOne = noise.position();
    const worker = await workerOf(noise);
    const exited = once(worker, 'exit');
    await t.close();
    await exited;
    expect(noise.position()).toBe(positionAfterOne); // the prefetched, unconsumed buffer is dropped, not counted
    expect((await t.step(x, y)).applied).toBe(true);
    expect(await noise.prefetching()).toBe(true);
    expect(await workerOf(noise)).not.toBe(worker);
    await t.close();
    tf.dispose([x, y]);
  });
});

describe('DPTrainer noise buffers', () => {
  it('both Gaussian mechanisms hand each buffer back: the worker allocates 2 over 5 steps', async () => {
    await tf.setBackend('cpu');
    const { x, y } = twoExamples();
    for (const clip of [{ clipNorm: 1 }, { adaptiveClipping: { countNoiseMultiplier: 2 } }]) {
      const t = new DPTrainer({
        model: tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] }),
        loss: 'categoricalCrossentropy',
        fromLogits: true,
        optimizer: { kind: 'sgd', learningRate: 0.1 },
        noiseMultiplier: 1,
        expectedBatchSize: 2,
        datasetSize: 10,
        seed: SEED,
        ...clip,
      });
      for (let i = 0; i < 5; i++) expect((await t.step(x, y)).applied).toBe(true);
      const noise = t.internals.noise!;
      expect(await noise.prefetching()).toBe(true);
      expect(noise.workerAllocations()).toBe(2);
      await t.close();
    }
    tf.dispose([x, y]);
  });
});

describe('addScaledNoise', () => {
  it('returns sum * scale + zFactor * z per tensor, slicing z in order', () => {
    const sums = [tf.tensor1d([1, 2]), tf.tensor2d([[3], [4], [5]])];
    const z = new Float32Array([0.5, -1, 2, 0, -0.25]);
    const out = addScaledNoise(sums, z, 2, 0.5);
    expect(Array.from(out[0]!.dataSync())).toEqual([1.5, -1]);
    expect(Array.from(out[1]!.dataSync())).toEqual([5.5, 2, 2]);
    const unit = addScaledNoise(sums, z, 1, 0.5); // z already scaled: no extra op
    expect(Array.from(unit[1]!.dataSync())).toEqual([3.5, 2, 2.25]);
    z.fill(100); // the buffer is handed back and refilled once the call returns: no output may share it
    expect(Array.from(out[0]!.dataSync())).toEqual([1.5, -1]);
    expect(Array.from(unit[1]!.dataSync())).toEqual([3.5, 2, 2.25]);
    expect(() => addScaledNoise(sums, z.subarray(1), 2, 0.5)).toThrow(/samples/);
    expect(() => addScaledNoise(sums, z, -1, 0.5)).toThrow(/scale/);
    tf.dispose([...sums, ...out, ...unit]);
  });

  it('on wasm, the native pass gives bit for bit the tensor ops (scale 1/256, zFactor 1 and 1.7)', async () => {
    const before = tf.getBackend();
    await useBackend('wasm');
    try {
      expect(nativeGemm(), 'the native addon is built and loaded').not.toBeNull();
      const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7919 + i));
      const sums = [tf.tensor2d(values(784 * 33, 1), [784, 33]), tf.tensor1d(values(33, 2))];
      const z = values(784 * 33 + 33, 3);
      for (const zFactor of [1, 1.7]) {
        const ours = addScaledNoise(sums, z, zFactor, 1 / 256);
        nativeGemmSwitch.off = true;
        const ops = addScaledNoise(sums, z, zFactor, 1 / 256);
        nativeGemmSwitch.off = false;
        ours.forEach((t, i) => {
          expect(t.shape).toEqual(sums[i]!.shape);
          const [a, b] = [t.dataSync(), ops[i]!.dataSync()];
          expect(
            a.every((v, j) => Object.is(v, b[j])),
            `tensor ${i}, zFactor ${zFactor}`,
          ).toBe(true);
        });
        tf.dispose([...ours, ...ops]);
      }
      tf.dispose(sums);
    } finally {
      nativeGemmSwitch.off = false;
      await tf.setBackend(before);
    }
  });
});
