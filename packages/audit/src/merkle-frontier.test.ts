import { describe, expect, it } from 'vitest';
import {
  appendToFrontier,
  frontierOf,
  inclusionFromNodes,
  rootFromNodes,
  inclusionProof,
  merkleLeafHash,
  merkleRoot,
  verifyInclusion,
} from '@dpledger/audit';

/** A log stored as its nodes, appended in batches of the given sizes. */
function storedLog(batches: number[]) {
  const leaves: Buffer[] = [];
  const nodes = new Map<string, Buffer>();
  let frontier: Buffer[] = [];
  for (const b of batches) {
    const fresh = Array.from({ length: b }, (_, i) => Buffer.from(`record ${leaves.length + i}`));
    frontier = appendToFrontier(leaves.length, frontier, fresh.map(merkleLeafHash), (l, i, h) =>
      nodes.set(`${l}/${i}`, h),
    );
    leaves.push(...fresh);
    // The returned frontier is exactly the stored nodes of frontierOf(size).
    expect(frontier).toEqual(
      frontierOf(leaves.length).map(({ level, index }) =>
        level === 0 ? merkleLeafHash(leaves[index]!) : nodes.get(`${level}/${index}`),
      ),
    );
  }
  let reads = 0;
  const read = async (level: number, index: number) => {
    reads++;
    const h = level === 0 ? merkleLeafHash(leaves[index]!) : nodes.get(`${level}/${index}`);
    if (h === undefined) throw new Error(`node ${level}/${index} not stored`);
    return h;
  };
  return { leaves, nodes, read, reads: () => reads };
}

describe('Merkle tree from stored perfect subtrees (RFC 9162)', () => {
  it('frontierOf lists the perfect subtrees of a size', () => {
    expect(frontierOf(0)).toEqual([]);
    expect(frontierOf(1)).toEqual([{ level: 0, index: 0 }]);
    expect(frontierOf(6)).toEqual([
      { level: 2, index: 0 },
      { level: 1, index: 2 },
    ]);
    expect(frontierOf(7)).toEqual([
      { level: 2, index: 0 },
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
  });

  it('root and all audit paths equal the whole-tree computation, sizes 0 to 33 and near 64, any batching', async () => {
    for (const size of [...Array.from({ length: 34 }, (_, i) => i), 63, 64, 65, 70]) {
      const batches =
        size === 0
          ? []
          : [Math.ceil(size / 3), Math.floor(size / 3), size - Math.ceil(size / 3) - Math.floor(size / 3)];
      const log = storedLog(batches);
      expect(await rootFromNodes(log.read, size)).toEqual(merkleRoot(log.leaves));
      for (let m = 0; m < size; m++) {
        const { path, root } = await inclusionFromNodes(log.read, m, size);
        expect(path).toEqual(inclusionProof(log.leaves, m));
        expect(verifyInclusion(merkleLeafHash(log.leaves[m]!), m, size, path, root)).toBe(true);
      }
    }
  });

  it('stores about one node per leaf and reads O(log n) nodes per proof', async () => {
    const n = 10_000;
    const log = storedLog([4096, 1, 5903]);
    expect(log.nodes.size).toBe(n - 1 - (frontierOf(n).length - 1)); // n - popcount(n) inner nodes are complete
    const before = log.reads();
    const { path, root } = await inclusionFromNodes(log.read, 5_000, n);
    expect(log.reads() - before).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)) + 1);
    expect(verifyInclusion(merkleLeafHash(log.leaves[5_000]!), 5_000, n, path, root)).toBe(true);
  });
});
