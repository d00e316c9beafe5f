/**
 * The RFC 9162 Merkle tree of an append-only log, kept as its stored perfect subtrees. Node (level, index) is the
 * hash of leaves [index * 2^level, (index + 1) * 2^level); a log appends leaves through its frontier (the perfect
 * subtrees that make up the current size, one per set bit) and stores each node the moment it is complete, so
 * the root of any size and the audit path of any leaf take O(log n) node reads (RFC 9162 2.1.1 and 2.1.3.1
 * applied to stored subtrees), and an append of k leaves writes about k nodes.
 */
import { sha256 } from './digest.js';
import { merkleNodeHash } from './merkle.js';

/** A stored node: the hash of the perfect subtree of 2^level leaves starting at leaf index * 2^level. */
export interface MerkleNodeRef {
  level: number;
  index: number;
}

/** Reads one stored node (level 0: the leaf hash of that record). */
export type MerkleNodeReader = (level: number, index: number) => Promise<Buffer>;

/**
 * The perfect subtrees that make up a tree of `size` leaves, left to right (one per set bit of `size`).
 * @example frontierOf(6) // [{ level: 2, index: 0 }, { level: 1, index: 2 }]
 */
export function frontierOf(size: number): MerkleNodeRef[] {
  const out: MerkleNodeRef[] = [];
  let start = 0;
  for (let level = Math.floor(Math.log2(Math.max(1, size))) + 1; level >= 0; level--) {
    const span = 2 ** level;
    if (start + span <= size) {
      out.push({ level, index: start / span });
      start += span;
    }
  }
  return out;
}

/**
 * Appends leaf hashes to a tree whose frontier hashes (as listed by `frontierOf(size)`) are given, reporting each
 * inner node that becomes complete through `emit` (level >= 1; leaves are the records themselves).
 * @example appendToFrontier(0, [], [h0, h1], (l, i, h) => put(l, i, h)) // emits (1, 0, H(h0, h1))
 */
export function appendToFrontier(
  size: number,
  frontier: readonly Buffer[],
  leafHashes: readonly Buffer[],
  emit: (level: number, index: number, hash: Buffer) => void,
): Buffer[] {
  const stack = [...frontier]; // hashes of frontierOf(n), smallest last
  let n = size;
  for (const leaf of leafHashes) {
    let h = leaf;
    let level = 0;
    let index = n;
    // Leaf n completes the subtrees whose right edge it is: one per trailing 1 bit of n (RFC 9162 2.1.1).
    while (index % 2 === 1) {
      h = merkleNodeHash(stack.pop()!, h);
      level++;
      index = (index - 1) / 2;
      emit(level, index, h);
    }
    stack.push(h);
    n++;
  }
  return stack;
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH of leaves [start, start + n) (RFC 9162 2.1.1), from stored perfect subtrees, reads memoized in `cache`. */
async function subtreeHash(
  read: MerkleNodeReader,
  cache: Map<string, Promise<Buffer>>,
  start: number,
  n: number,
): Promise<Buffer> {
  if ((n & (n - 1)) === 0) {
    const level = Math.log2(n);
    const key = `${level}/${start / n}`;
    let hit = cache.get(key);
    if (hit === undefined) cache.set(key, (hit = read(level, start / n)));
    return hit;
  }
  const k = largestPowerOfTwoBelow(n);
  return merkleNodeHash(await subtreeHash(read, cache, start, k), await subtreeHash(read, cache, start + k, n - k));
}

/**
 * MTH(D[size]) of RFC 9162 2.1.1 from stored nodes: popcount(size) reads; the empty tree hashes to SHA-256().
 * @example await rootFromNodes(read, 10_000) // equals merkleRoot(all leaves)
 */
export async function rootFromNodes(read: MerkleNodeReader, size: number): Promise<Buffer> {
  if (size === 0) return sha256();
  return subtreeHash(read, new Map(), 0, size);
}

/**
 * PATH(m, D[size]) of RFC 9162 2.1.3.1 from stored nodes, bottom first, and the root; at most 2 log2(size) + 1
 * reads in all (the right-edge subtrees share the frontier's reads).
 * @example const { path, root } = await inclusionFromNodes(read, 3, 7) // verifyInclusion(leafHash, 3, 7, path, root)
 */
export async function inclusionFromNodes(
  read: MerkleNodeReader,
  m: number,
  size: number,
): Promise<{ path: Buffer[]; root: Buffer }> {
  const cache = new Map<string, Promise<Buffer>>();
  const path: Buffer[] = [];
  const walk = async (index: number, start: number, n: number): Promise<void> => {
    if (n === 1) return;
    const k = largestPowerOfTwoBelow(n);
    if (index < k) {
      await walk(index, start, k);
      path.push(await subtreeHash(read, cache, start + k, n - k));
    } else {
      await walk(index - k, start + k, n - k);
      path.push(await subtreeHash(read, cache, start, k));
    }
  };
  await walk(m, 0, size);
  return { path, root: await subtreeHash(read, cache, 0, size) };
}
