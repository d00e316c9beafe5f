/**
 * The worker threads of one trainer (Node only): each holds its own tfjs instance (the main thread's backend) and a
 * copy of the model, rebuilt from model.toJSON(); the weights are published to all of them through one
 * SharedArrayBuffer before each step. Workers are unref'd between steps (they never keep a process alive) and
 * ref'd while a step waits on them. A worker that exits or errors fails its pending request and marks the pool.
 */
import type { Worker as NodeWorker } from 'node:worker_threads';
import type * as tf from '@tensorflow/tfjs';
import { fail } from '../training/fail.js';
import type { ChunkResult, ShardInit, ShardReply, ShardRequest } from './shard-protocol.js';
import { SHARD_BOOT_SOURCE, TS_SOURCE_HOOKS } from './source-hooks.js';
import { copyTensorInto } from './tensor-copy.js';

interface Pending {
  id: number;
  resolve: (r: ChunkResult[]) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: NodeWorker;
  pending: Pending | null;
}

/** Where the worker entry lives beside this file (.ts when run from source, .js when built), and how to load it. */
async function entryOf(): Promise<Pick<ShardInit, 'entry' | 'hooks'>> {
  const here = import.meta.url;
  // bundled into another file, the worker entry is not beside us: never start a worker on some other module
  if (!/^file:.*\/shard-pool\.(ts|js)$/.test(here))
    fail('worker_error', 'the shard worker module is not beside shard-pool (a bundled build?)');
  const entry = here.replace(/shard-pool\.(ts|js)$/, 'shard-worker.$1');
  if (!entry.endsWith('.ts')) return { entry, hooks: null };
  const [moduleSpecifier, urlSpecifier] = ['node:module', 'node:url']; // Node only: kept out of browser bundles
  const { createRequire } = (await import(/* @vite-ignore */ moduleSpecifier)) as typeof import('node:module');
  const { pathToFileURL } = (await import(/* @vite-ignore */ urlSpecifier)) as typeof import('node:url');
  return {
    entry,
    hooks: { source: TS_SOURCE_HOOKS, typescript: pathToFileURL(createRequire(here).resolve('typescript')).href },
  };
}

const size = (shape: readonly (number | null)[]) => shape.reduce<number>((a, b) => a * (b ?? 1), 1);

/** A started set of shard workers for one model. */
export class ShardPool {
  /** Why the pool is broken (a worker exited or errored), or null while every worker is alive. */
  failure: string | null = null;
  private nextId = 0;
  private closed = false;

  private constructor(
    readonly backend: string,
    private readonly slots: Slot[],
    private readonly weights: Float32Array,
  ) {}

  /** Number of workers. */
  get size(): number {
    return this.slots.length;
  }

  /**
   * Starts `n` workers on `backend` for `model` and waits until each has rebuilt it; throws TrainerError
   * `worker_error` (after terminating them) when one cannot.
   * @example const pool = await ShardPool.start(model, 'wasm', 1, { loss: 'categoricalCrossentropy' });
   */
  static async start(
    model: tf.LayersModel,
    backend: string,
    n: number,
    loss: Pick<ShardInit, 'loss' | 'fromLogits'>,
  ): Promise<ShardPool> {
    const specifier = 'node:worker_threads'; // loaded only under Node: the package stays importable in browsers
    const { Worker } = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
    const weightShapes = model.weights.map((w) => w.shape as number[]);
    const sab = new SharedArrayBuffer(4 * weightShapes.reduce((a, s) => a + size(s), 0));
    const init: ShardInit = {
      ...(await entryOf()),
      backend,
      topology: JSON.stringify(model.toJSON(null, false)),
      weightShapes,
      trainable: model.trainableWeights.map((w) => model.weights.indexOf(w)),
      weights: sab,
      ...loss,
    };
    const slots = Array.from({ length: n }, () => ({
      worker: new Worker(SHARD_BOOT_SOURCE, { eval: true, workerData: init }),
      pending: null,
    }));
    const pool = new ShardPool(backend, slots, new Float32Array(sab));
    const ready = slots.map(
      (s, i) =>
        new Promise<void>((resolve, reject) => {
          const onExit = (code: number) =>
            reject(new Error(`shard worker ${i} exited with code ${code} while starting`));
          s.worker.once('exit', onExit);
          s.worker.on('error', () => undefined); // the exit that follows reports it
          s.worker.once('message', (m: ShardReply) => {
            s.worker.off('exit', onExit);
            if ('ready' in m) resolve();
            else
              reject(
                new Error(
                  'error' in m
                    ? `shard worker ${i} could not start: ${m.error.message}`
                    : `shard worker ${i}: unexpected reply`,
                ),
              );
          });
        }),
    );
    try {
      await Promise.all(ready);
    } catch (e) {
      pool.terminate();
      fail('worker_error', (e as Error).message, e);
    }
    slots.forEach((s, i) => pool.watch(s, i));
    return pool;
  }

  private watch(s: Slot, i: number): void {
    s.worker.unref();
    s.worker.on('message', (m: ShardReply) => {
      const p = s.pending;
      if (!p || !('id' in m) || m.id !== p.id) return;
      s.pending = null;
      s.worker.unref();
      if ('results' in m) p.resolve(m.results);
      else p.reject(new Error(`shard worker ${i}: ${m.error.message}`));
    });
    s.worker.on('error', (e: Error) => {
      this.failure ??= `shard worker ${i} failed: ${e.message}`;
    });
    s.worker.on('exit', (code: number) => {
      if (this.closed) return;
      this.failure ??= `shard worker ${i} exited with code ${code}`;
      const p = s.pending;
      s.pending = null;
      p?.reject(new Error(this.failure));
    });
  }

  /** Copies every weight of `model` (model.weights order) to where the workers read them. */
  publishWeights(model: tf.LayersModel): void {
    let at = 0;
    for (const w of model.weights) {
      const v = w.read();
      copyTensorInto(v, this.weights, at);
      at += v.size;
    }
  }

  /** Sends worker `i` its part of a step; resolves with one result per chunk, rejects if the worker fails. */
  request(i: number, req: Omit<ShardRequest, 'id'>): Promise<ChunkResult[]> {
    const s = this.slots[i]!;
    if (this.failure) return Promise.reject(new Error(this.failure));
    const id = this.nextId++;
    const reply = new Promise<ChunkResult[]>((resolve, reject) => {
      s.pending = { id, resolve, reject };
    });
    s.worker.ref(); // a step awaits this reply: keep the process alive until it comes
    s.worker.postMessage({ ...req, id });
    return reply;
  }

  /** Terminates every worker (idempotent). */
  terminate(): void {
    this.closed = true;
    for (const s of this.slots) {
      s.pending?.reject(new Error('the shard workers were stopped'));
      s.pending = null;
      void s.worker.terminate();
    }
  }
}
