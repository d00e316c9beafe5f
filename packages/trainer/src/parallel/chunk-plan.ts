/** How one step's examples are cut into physical chunks and which thread computes each (fixed by size alone). */

/** The chunks of a step, in summation order, and the thread (0 = the main thread) that computes each. */
export interface ChunkPlan {
  /** [from, to) example ranges, contiguous and in order. */
  chunks: Array<[number, number]>;
  /** owner[j]: the thread of chunk j; each thread's chunks are contiguous, thread 0's first. */
  owner: number[];
}

/**
 * Cuts `batchSize` examples into n near-equal chunks (sizes differ by at most one, larger first) and deals them out
 * to `threads` threads, n / threads contiguous chunks each: n is the fewest chunks of at most maxPhysicalBatchSize
 * (1 without it), rounded up to a multiple of `threads` (at most one chunk per example). Every thread so gets the
 * same share of the batch whatever its size (a Poisson batch of 2,050 at 512 per chunk and 2 threads: 6 chunks of
 * 341-342, 3 per thread, where fixed 512-chunks gave one thread 3 chunks and the other 2). The chunks, and so the
 * float32 sums added in chunk order, depend only on the three sizes, never on timing: `threads: T` gives the bits of
 * one thread computing the same chunks.
 * @example planChunks(256, 2) // { chunks: [[0, 128], [128, 256]], owner: [0, 1] }
 */
export function planChunks(batchSize: number, threads: number, maxPhysicalBatchSize?: number): ChunkPlan {
  if (batchSize <= 0) return { chunks: [], owner: [] };
  const least = maxPhysicalBatchSize === undefined ? 1 : Math.ceil(batchSize / Math.max(1, maxPhysicalBatchSize));
  const n = Math.min(batchSize, threads * Math.ceil(least / threads));
  const [size, extra] = [Math.floor(batchSize / n), batchSize % n];
  const chunks: Array<[number, number]> = [];
  for (let j = 0, from = 0; j < n; j++) {
    const to = from + size + (j < extra ? 1 : 0);
    chunks.push([from, to]);
    from = to;
  }
  const owner = chunks.map((_, j) => Math.floor((j * threads) / n));
  return { chunks, owner };
}
