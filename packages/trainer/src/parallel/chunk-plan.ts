/** How one step's examples are cut into physical chunks and which thread computes each (fixed by size alone). */

/** The chunks of a step, in summation order, and the thread (0 = the main thread) that computes each. */
export interface ChunkPlan {
  /** [from, to) example ranges, contiguous and in order. */
  chunks: Array<[number, number]>;
  /** owner[j]: the thread of chunk j; each thread's chunks are contiguous, thread 0's first. */
  owner: number[];
}

/**
 * Cuts `batchSize` examples into chunks of min(maxPhysicalBatchSize, ceil(batchSize / threads)) and deals them out
 * to `threads` threads in contiguous runs. The chunks (and so the float32 sums, added in chunk order) depend only on
 * the sizes, never on timing: `threads: T` gives the same bits as one thread with that chunk size.
 * @example planChunks(256, 2) // { chunks: [[0, 128], [128, 256]], owner: [0, 1] }
 */
export function planChunks(batchSize: number, threads: number, maxPhysicalBatchSize?: number): ChunkPlan {
  const size = Math.max(1, Math.min(maxPhysicalBatchSize ?? batchSize, Math.ceil(batchSize / threads)));
  const chunks: Array<[number, number]> = [];
  for (let from = 0; from < batchSize; from += size) chunks.push([from, Math.min(batchSize, from + size)]);
  const owner = chunks.map((_, j) => Math.floor((j * threads) / chunks.length));
  return { chunks, owner };
}
