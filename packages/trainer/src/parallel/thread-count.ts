/** The `threads` option of DPTrainer: checked once, and resolved per step against the backend and the batch. */
import type * as tf from '@tensorflow/tfjs';
import { fail } from '../training/fail.js';
import type { LayerRuleRegistry, LossSpec } from '../per-sample/index.js';

/** `threads` as a user writes it: a count (1 = no workers) or 'auto'. */
export type ThreadsOption = number | 'auto';

/** Backends whose per-example work runs on the CPU in this thread, so that worker threads add cores. */
export const SHARDED_BACKENDS: readonly string[] = ['wasm', 'cpu'];

/**
 * The fewest examples per thread for which 'auto' shards, whatever the model: each step's dispatch to a worker and its
 * wait cost a few ms. Measured with bench/threads.bench.mjs (median paired speed-up of 2 threads over 1, 2 cores): the
 * tanh CNN 0.82x at 32 examples per thread, 0.97x at 48, 0.93x at 64, 1.37-1.61x at 128.
 */
export const MIN_EXAMPLES_PER_THREAD = 96;

/**
 * The least work per thread, in examples x weight reuse (see `weightReuse`), for which 'auto' shards. Each thread
 * pays a fixed cost in proportion to the parameter count (its share of the weights' copies and the per-weight parts
 * of the clipped sum), and the per-example work is about reuse x parameters per example. Measured on 2 cores with
 * bench/threads.bench.mjs (median paired speed-up of 2 threads over 1): the MLP 784-512-10 (reuse 1) 0.80x at 64
 * examples per thread, 0.79-1.19x at 128 (about even), 1.22x at 256, 1.78x at 512; the tanh CNN (reuse 16): see
 * MIN_EXAMPLES_PER_THREAD.
 */
export const MIN_WORK_PER_THREAD = 128;

/**
 * MIN_WORK_PER_THREAD where the wasm backend's matMuls run on the native GEMM (backends/native-gemm.ts), which makes
 * dense layers about 4.5x cheaper while each step's fixed costs (its noise above all) stay. Measured on 2 cores with
 * bench/threads.bench.mjs: the MLP 0.49-0.95x at 128-256 examples per thread, 0.95-1.08x at 512 (B = 1024, two
 * runs), 1.23-1.38x at 1,024 (B = 2,048); the tanh CNN 0.47-0.90x at 32-64 per thread, 1.25-1.66x at 128, 1.86-1.95x
 * at 512 (MIN_EXAMPLES_PER_THREAD decides there).
 */
export const MIN_WORK_PER_THREAD_NATIVE = 1024;

/**
 * Multiply-adds per example per trainable parameter: each weighted layer's parameters times the positions it is
 * applied at (its output's size over its last axis: 1 for a dense layer, h x w for a 2-D convolution), over all
 * parameters. 1 for an MLP; about 16 for the tanh CNN.
 * @example weightReuse(buildModel('mlp')) // 1
 */
export function weightReuse(model: tf.LayersModel): number {
  let params = 0;
  let macs = 0;
  for (const layer of model.layers) {
    const n = layer.trainableWeights.reduce((a, w) => a + w.shape.reduce<number>((p, d) => p * (d ?? 1), 1), 0);
    if (n === 0) continue;
    const shape = (Array.isArray(layer.outputShape[0]) ? layer.outputShape[0] : layer.outputShape) as (number | null)[];
    const positions = shape.slice(1, -1).reduce<number>((p, d) => p * (d ?? 1), 1);
    params += n;
    macs += n * positions;
  }
  return params === 0 ? 1 : macs / params;
}

/** What decides whether and how wide a trainer shards. */
export interface ShardSettings {
  threads?: ThreadsOption;
  loss: LossSpec;
  rules?: LayerRuleRegistry;
  expectedBatchSize: number;
  /** weightReuse of the model (default 1, the least). */
  reuse?: number;
  /** Whether the backend's matMuls run natively (MIN_WORK_PER_THREAD_NATIVE applies); default false. */
  nativeMatMul?: boolean;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Why the per-example work cannot move to workers (a function-valued option), or null when it can. */
export function unshardable(s: ShardSettings): string | null {
  if (!isNode) return 'worker threads exist only under Node';
  if (typeof s.loss !== 'string') return 'a loss function cannot be sent to a worker thread (use a named loss)';
  if (s.rules !== undefined) return 'custom layer rules cannot be sent to a worker thread';
  return null;
}

/**
 * Checks the option when the trainer is made: an integer >= 1 or 'auto'; more than one thread only where it can
 * run (Node, a named loss, the default layer rules).
 * @example checkThreads({ threads: 0, loss: 'meanSquaredError', expectedBatchSize: 8 }) // throws invalid_argument
 */
export function checkThreads(s: ShardSettings): void {
  const t = s.threads;
  if (t === undefined || t === 'auto') return;
  if (!(Number.isSafeInteger(t) && t >= 1))
    fail('invalid_argument', `threads must be an integer >= 1 or 'auto', got ${String(t)}`);
  const why = t > 1 ? unshardable(s) : null;
  if (why !== null) fail('invalid_argument', `threads: ${t} is not possible here: ${why}`);
}

/**
 * The threads a step uses (1 = the single-thread path, no workers). 'auto' (the default): one per core, at most one
 * per max(MIN_EXAMPLES_PER_THREAD, MIN_WORK_PER_THREAD / reuse) expected examples (MIN_WORK_PER_THREAD_NATIVE with
 * the native GEMM), and only on a CPU backend (wasm,
 * cpu) under Node; a GPU or tfjs-node backend already uses the hardware it has. An explicit count on another
 * backend is refused.
 * @example
 * stepThreads({ threads: 'auto', loss: 'meanSquaredError', expectedBatchSize: 256, reuse: 16 }, 'wasm', 2) // 2
 */
export function stepThreads(s: ShardSettings, backend: string, cores: number): number {
  const t = s.threads ?? 'auto';
  if (t !== 'auto') {
    if (t > 1 && !SHARDED_BACKENDS.includes(backend))
      fail('invalid_argument', `threads: ${t} shards on the wasm or cpu backend only, not on '${backend}'`);
    return t;
  }
  if (unshardable(s) !== null || !SHARDED_BACKENDS.includes(backend)) return 1;
  const work = s.nativeMatMul && backend === 'wasm' ? MIN_WORK_PER_THREAD_NATIVE : MIN_WORK_PER_THREAD;
  const perThread = Math.max(MIN_EXAMPLES_PER_THREAD, work / (s.reuse ?? 1));
  return Math.max(1, Math.min(cores, Math.floor(s.expectedBatchSize / perThread)));
}
