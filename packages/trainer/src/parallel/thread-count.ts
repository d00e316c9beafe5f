/** The `threads` option of DPTrainer: checked once, and resolved per step against the backend and the batch. */
import { fail } from '../training/fail.js';
import type { LayerRuleRegistry, LossSpec } from '../per-sample/index.js';

/** `threads` as a user writes it: a count (1 = no workers) or 'auto'. */
export type ThreadsOption = number | 'auto';

/** Backends whose per-example work runs on the CPU in this thread, so that worker threads add cores. */
export const SHARDED_BACKENDS: readonly string[] = ['wasm', 'cpu'];

/**
 * The fewest examples per thread for which 'auto' shards: below it the per-step cost of moving weights and sums
 * between threads (about a millisecond for 400k parameters) eats the gain (measured in bench/threads.bench.mjs).
 */
export const MIN_EXAMPLES_PER_THREAD = 32;

/** What decides whether and how wide a trainer shards. */
export interface ShardSettings {
  threads?: ThreadsOption;
  loss: LossSpec;
  rules?: LayerRuleRegistry;
  expectedBatchSize: number;
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
  if (!(Number.isSafeInteger(t) && t >= 1)) fail('invalid_argument', `threads must be an integer >= 1 or 'auto', got ${String(t)}`);
  const why = t > 1 ? unshardable(s) : null;
  if (why !== null) fail('invalid_argument', `threads: ${t} is not possible here: ${why}`);
}

/**
 * The threads a step uses (1 = today's single-thread path, no workers). 'auto' (the default): one per core, at most
 * one per MIN_EXAMPLES_PER_THREAD expected examples, and only on a CPU backend (wasm, cpu) under Node; a GPU or
 * tfjs-node backend already uses the hardware it has. An explicit count on another backend is refused.
 * @example stepThreads({ threads: 'auto', loss: 'meanSquaredError', expectedBatchSize: 256 }, 'wasm', 2) // 2
 */
export function stepThreads(s: ShardSettings, backend: string, cores: number): number {
  const t = s.threads ?? 'auto';
  if (t !== 'auto') {
    if (t > 1 && !SHARDED_BACKENDS.includes(backend)) fail('invalid_argument', `threads: ${t} shards on the wasm or cpu backend only, not on '${backend}'`);
    return t;
  }
  if (unshardable(s) !== null || !SHARDED_BACKENDS.includes(backend)) return 1;
  return Math.max(1, Math.min(cores, Math.floor(s.expectedBatchSize / MIN_EXAMPLES_PER_THREAD)));
}
