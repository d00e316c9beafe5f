/** Messages between the trainer's main thread and its shard workers (structured clone; no functions). */
import type { Clipping, LossSpec } from '../per-sample/index.js';

/**
 * A tensor whose values sit in a shared slab: `length` elements of `dtype` from byte `byteOffset` of `buffer`.
 * Posting it shares the slab (no copy, no allocation); the writer and reader take turns, one step at a time.
 */
export interface SlabTensor {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
}

/** workerData: how to rebuild the model and where its weights are published each step. */
export interface ShardInit {
  /** The entry module to import (shard-worker.js, or .ts run from source through `hooks`). */
  entry: string;
  /** Loader hooks that transpile TypeScript (source runs only) and the typescript module's URL. */
  hooks: { source: string; typescript: string } | null;
  backend: string;
  /** model.toJSON(): the topology, rebuilt with tf.models.modelFromJSON. */
  topology: string;
  /** Shape of each of model.weights, in order; their values live in `weights`. */
  weightShapes: number[][];
  /** Indices into model.weights of model.trainableWeights, in order (the sums' order). */
  trainable: number[];
  /** All of model.weights, flattened in order, rewritten by the main thread before each step. */
  weights: SharedArrayBuffer;
  loss: Exclude<LossSpec, { perExample: unknown }>;
  fromLogits?: boolean;
}

/** One step's work for one worker: its range of the batch and its chunks (relative to that range). */
export interface ShardRequest {
  id: number;
  x: SlabTensor;
  y: SlabTensor;
  chunks: Array<[number, number]>;
  clipping: Clipping;
  /**
   * Where the worker writes its clipped sums: chunk j's (all trainable weights, flattened in order) at float j x
   * (trainable parameter count). The main thread reads them before it sends the next request.
   */
  sums: SharedArrayBuffer;
  /** Test only: the worker exits on receipt, as a crash in the middle of a step. */
  exit?: boolean;
}

/** One chunk's pre-clip norms and loss sum (its clipped sums are in the request's `sums` slab). */
export interface ChunkResult {
  norms: Float32Array;
  lossSum: number;
}

export type ShardReply =
  | { ready: true }
  | { id: number; results: ChunkResult[] }
  | { id: number | null; error: { code: string; message: string } };
