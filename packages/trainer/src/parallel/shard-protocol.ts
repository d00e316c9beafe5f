/** Messages between the trainer's main thread and its shard workers (structured clone; no functions). */
import type { Clipping, LossSpec } from '../per-sample/index.js';

/** A tensor as plain data. */
export interface TensorData {
  values: Float32Array | Int32Array | Uint8Array;
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
  x: TensorData;
  y: TensorData;
  chunks: Array<[number, number]>;
  clipping: Clipping;
  /** Test only: the worker exits on receipt, as a crash in the middle of a step. */
  exit?: boolean;
}

/** One chunk's clipped sums (all trainable weights, flattened in order), pre-clip norms and loss sum. */
export interface ChunkResult {
  sums: Float32Array;
  norms: Float32Array;
  lossSum: number;
}

export type ShardReply =
  | { ready: true }
  | { id: number; results: ChunkResult[] }
  | { id: number | null; error: { code: string; message: string } };
