/**
 * Runs each DP-SGD step's per-example work (per-example gradients, clipping, clipped sums) over several threads:
 * the main thread computes the first chunks of the batch, shard workers the rest, and every chunk's result is
 * handed to the caller in chunk order, so the caller's float32 sum is the one a single thread gets with the same
 * chunks (bit for bit on the same backend). Per-example clipping is per example, so the sum of the chunks' clipped
 * sums is exactly the batch's. Sampling, noise, accounting and the update stay with the caller on the main thread.
 */
import * as tf from '@tensorflow/tfjs';
import { clipAndAccumulate, type Accumulated, type AccumulateOptions } from '../per-sample/index.js';
import { nativeGemm } from '../backends/native-gemm.js';
import { TrainerError } from '../per-sample/trainer-error.js';
import { fail } from '../training/fail.js';
import { planChunks } from './chunk-plan.js';
import type { ChunkResult, SlabTensor } from './shard-protocol.js';
import { ShardPool } from './shard-pool.js';
import { copyTensorInto, viewOf } from './tensor-copy.js';
import { checkThreads, stepThreads, unshardable, weightReuse, type ShardSettings } from './thread-count.js';

/** Test-only switches (not exported from the package). */
export const shardFaults = {
  /** The first worker of the next step exits on receiving its work, as a crash in the middle of a step. */
  exitInStep: false,
  /** A one-thread step cuts its chunks as a step on this many threads would (the reference of the bit tests). */
  planAs: null as number | null,
};

let coreCount: number | null = null;
async function cores(): Promise<number> {
  if (coreCount === null) {
    const specifier = 'node:os';
    const os = (await import(/* @vite-ignore */ specifier)) as typeof import('node:os');
    coreCount = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return coreCount;
}

/**
 * One worker's shared slabs, kept from step to step and regrown only when a step needs more: its inputs (x then y)
 * and its chunks' clipped sums. A step writes and reads them strictly before the next step's request is sent.
 */
class Slabs {
  input = new SharedArrayBuffer(0);
  sums = new SharedArrayBuffer(0);

  /** Copies x and y into the input slab (grown to fit) and describes them. */
  inputs(x: tf.Tensor, y: tf.Tensor): [SlabTensor, SlabTensor] {
    const bytes = (t: tf.Tensor) => Math.ceil((t.size * 4) / 8) * 8; // 8-byte aligned: every dtype here is 4 or 1 byte
    if (this.input.byteLength < bytes(x) + bytes(y)) this.input = new SharedArrayBuffer(bytes(x) + bytes(y));
    const put = (t: tf.Tensor, byteOffset: number): SlabTensor => {
      const dtype = t.dtype as SlabTensor['dtype'];
      copyTensorInto(t, viewOf(dtype, this.input, byteOffset, t.size));
      return { buffer: this.input, byteOffset, shape: t.shape, dtype };
    };
    return [put(x, 0), put(y, bytes(x))];
  }

  /** The sums slab with room for `chunks` chunks of `params` floats. */
  sumsFor(chunks: number, params: number): SharedArrayBuffer {
    if (this.sums.byteLength < chunks * params * 4) this.sums = new SharedArrayBuffer(chunks * params * 4);
    return this.sums;
  }
}

/** Trainable parameters of `model` (the length of one chunk's flattened clipped sums). */
const paramCount = (model: tf.LayersModel) =>
  model.trainableWeights.reduce((a, w) => a + w.shape.reduce<number>((p, d) => p * (d ?? 1), 1), 0);

/** What sharded steps need from the trainer's options. */
export type ShardedStepOptions = ShardSettings & { fromLogits?: boolean; maxPhysicalBatchSize?: number };

/** One trainer's threads: resolved per step, workers started on first need and kept until `close`. */
export class ShardedSteps {
  private pool: ShardPool | null = null;
  private slabs: Slabs[] = [];
  private fallback = false;
  private threadsNow = 1;

  private readonly settings: ShardedStepOptions;

  /**
   * @example
   * const s = new ShardedSteps(model, { threads: 'auto', loss: 'categoricalCrossentropy', expectedBatchSize: 256 });
   */
  constructor(
    private readonly model: tf.LayersModel,
    settings: ShardedStepOptions,
  ) {
    checkThreads(settings);
    this.settings = { ...settings, reuse: settings.reuse ?? weightReuse(model) };
  }

  /** The threads the current step uses (1 before the first step and on a single-thread path). */
  get threads(): number {
    return this.threadsNow;
  }

  /**
   * Call before the step is accounted: throws TrainerError `worker_error` if a worker died since the last step (the
   * next call starts fresh ones), and starts the workers this step needs. Under 'auto' a model the workers cannot
   * rebuild (a custom layer class) makes this and every later step single-threaded.
   */
  async prepare(where: string): Promise<void> {
    if (this.pool?.failure) {
      const why = this.pool.failure;
      this.close();
      fail(
        'worker_error',
        `${where}: ${why} since the last step; nothing of this step was done (the next step starts new workers)`,
      );
    }
    const backend = tf.getBackend();
    // cores() imports node:os: never asked where workers cannot run (browsers), so bundles never fetch it
    const t =
      this.fallback || unshardable(this.settings) !== null
        ? 1
        : stepThreads({ ...this.settings, nativeMatMul: nativeGemm() !== null }, backend, await cores());
    this.threadsNow = t;
    if (t === 1 || (this.pool && this.pool.size === t - 1 && this.pool.backend === backend)) return;
    this.close();
    try {
      this.pool = await ShardPool.start(this.model, backend, t - 1, {
        loss: this.settings.loss as Exclude<ShardSettings['loss'], object>,
        fromLogits: this.settings.fromLogits,
      });
    } catch (e) {
      if ((this.settings.threads ?? 'auto') !== 'auto') {
        throw e instanceof TrainerError
          ? e
          : new TrainerError('worker_error', `${where}: the shard workers could not start (${(e as Error).message})`, {
              cause: e,
            });
      }
      this.fallback = true;
      this.threadsNow = 1;
    }
  }

  /**
   * Computes the clipped sums of examples [0, batchSize) (`chunk(from, to)` gives their inputs and targets, the
   * caller's to give and ours to dispose) and hands each chunk's result to `consume`, in chunk order; `consume`
   * owns (disposes) the tensors. A failed worker throws TrainerError `worker_error` before its chunks are consumed.
   */
  async forEachChunk(
    batchSize: number,
    chunk: (from: number, to: number) => [tf.Tensor, tf.Tensor],
    opts: AccumulateOptions,
    consume: (r: Accumulated) => void,
  ): Promise<void> {
    const t = this.threadsNow;
    const plan = planChunks(batchSize, t === 1 ? (shardFaults.planAs ?? 1) : t, this.settings.maxPhysicalBatchSize);
    if (t === 1) plan.owner.fill(0);
    const requests = t > 1 ? this.dispatch(plan, chunk, opts) : [];
    try {
      plan.chunks.forEach(([from, to], j) => {
        if (plan.owner[j] !== 0) return;
        const [x, y] = chunk(from, to);
        let r: Accumulated;
        try {
          r = clipAndAccumulate(this.model, x, y, opts);
        } finally {
          tf.dispose([x, y]);
        }
        consume(r);
      });
      const results = await Promise.all(requests).catch((e: unknown) => {
        const why = this.pool?.failure ?? (e as Error).message;
        this.close();
        throw new TrainerError(
          'worker_error',
          `a shard worker failed in this step (${why}); the step was not applied`,
          { cause: e },
        );
      });
      const params = paramCount(this.model);
      for (const { results: rs, sums } of results) rs.forEach((r, j) => consume(this.tensorsOf(r, sums, j, params)));
    } finally {
      await Promise.allSettled(requests);
    }
  }

  /** Publishes the weights and sends each worker its contiguous range of the batch. */
  private dispatch(
    plan: ReturnType<typeof planChunks>,
    chunk: (from: number, to: number) => [tf.Tensor, tf.Tensor],
    opts: AccumulateOptions,
  ): Promise<{ results: ChunkResult[]; sums: Float32Array }>[] {
    const pool = this.pool!;
    pool.publishWeights(this.model);
    const params = paramCount(this.model);
    const out: Promise<{ results: ChunkResult[]; sums: Float32Array }>[] = [];
    for (let w = 1; w <= pool.size; w++) {
      const mine = plan.chunks.filter((_, j) => plan.owner[j] === w);
      if (mine.length === 0) continue;
      const from = mine[0]![0];
      const slabs = (this.slabs[w - 1] ??= new Slabs());
      const [x, y] = chunk(from, mine.at(-1)![1]);
      let inputs: [SlabTensor, SlabTensor];
      try {
        inputs = slabs.inputs(x, y);
      } finally {
        tf.dispose([x, y]);
      }
      const sums = slabs.sumsFor(mine.length, params);
      const req = {
        x: inputs[0],
        y: inputs[1],
        chunks: mine.map(([a, b]): [number, number] => [a - from, b - from]),
        clipping: opts.clipping,
        sums,
      };
      const exit = w === 1 && shardFaults.exitInStep;
      const p = pool
        .request(w - 1, exit ? { ...req, exit } : req)
        .then((results) => ({ results, sums: new Float32Array(sums) }));
      p.catch(() => undefined); // awaited below; a rejection while the main thread computes is not unhandled
      out.push(p);
    }
    return out;
  }

  /** Chunk j of a worker's reply as tensors (its sums copied out of the worker's slab). */
  private tensorsOf(r: ChunkResult, slab: Float32Array, j: number, params: number): Accumulated {
    let at = j * params;
    const sums = this.model.trainableWeights.map((w) => {
      const shape = w.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      const s = tf.tensor(slab.subarray(at, at + n), shape, 'float32');
      at += n;
      return s;
    });
    return { sums, norms: tf.tensor1d(r.norms, 'float32'), lossSum: tf.scalar(r.lossSum, 'float32') };
  }

  /** Terminates the workers (idempotent); a later step starts new ones. */
  close(): void {
    this.pool?.terminate();
    this.pool = null;
    this.slabs = [];
  }
}
