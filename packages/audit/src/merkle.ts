/**
 * RFC 9162 (Certificate Transparency v2) section 2.1 Merkle Tree Hash over SHA-256, with audit paths
 * (inclusion proofs) and their verification. Leaves and nodes are domain-separated (0x00 / 0x01 prefixes)
 * so a leaf can never be passed off as an inner node.
 */
import { timingSafeEqual } from 'node:crypto';
import { sha256 } from './digest.js';
import { AuditError } from './errors.js';

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/**
 * The hash of one leaf: SHA-256(0x00 || leaf) (RFC 9162 2.1.1).
 * @example merkleLeafHash(new Uint8Array()).toString('hex') // '6e340b9c...'
 */
export function merkleLeafHash(leaf: Uint8Array): Buffer {
  return sha256(LEAF_PREFIX, leaf);
}

/**
 * The hash of an inner node: SHA-256(0x01 || left || right) (RFC 9162 2.1.1).
 * @example merkleNodeHash(merkleLeafHash(a), merkleLeafHash(b)).equals(merkleRoot([a, b])) // true
 */
export function merkleNodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(NODE_PREFIX, left, right);
}

/**
 * Levels of the tree bottom-up. Pairing neighbours and carrying an odd last node up unchanged builds the
 * same tree as RFC 9162's split at the largest power of two below n (left subtrees are always perfect).
 */
function levels(leafHashes: Buffer[]): Buffer[][] {
  const out = [leafHashes];
  let level = leafHashes;
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? merkleNodeHash(level[i]!, level[i + 1]!) : level[i]!);
    out.push(next);
    level = next;
  }
  return out;
}

/**
 * MTH(D[n]) of RFC 9162 2.1.1; the empty tree's hash is SHA-256 of the empty string.
 * @example merkleRoot([Buffer.from('a'), Buffer.from('b')]) // SHA-256(0x01 || leafHash('a') || leafHash('b'))
 */
export function merkleRoot(leaves: Uint8Array[]): Buffer {
  if (leaves.length === 0) return sha256(); // RFC 9162 2.1.1: MTH({}) = SHA-256()
  return levels(leaves.map(merkleLeafHash)).at(-1)![0]!;
}

/**
 * PATH(m, D[n]) of RFC 9162 2.1.3.1: the sibling hashes from leaf `index` up to the root, bottom first.
 * Throws AuditError('bad_proof') when `index` is not a leaf of the tree.
 * @example inclusionProof(leaves, 0) // [] for a one-leaf tree
 */
export function inclusionProof(leaves: Uint8Array[], index: number): Buffer[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leaves.length) {
    throw new AuditError('bad_proof', `leaf index ${index} is outside a tree of size ${leaves.length}`);
  }
  const path: Buffer[] = [];
  let i = index;
  for (const level of levels(leaves.map(merkleLeafHash)).slice(0, -1)) {
    const sibling = i ^ 1;
    if (sibling < level.length) path.push(level[sibling]!); // a carried-up last node has no sibling at this level
    i >>= 1;
  }
  return path;
}

/**
 * Verifies an inclusion proof by RFC 9162 2.1.3.2: true when `proof` links `leafHash` at `index` to `root`
 * in a tree of `treeSize` leaves. Malformed arguments give false, never a throw.
 * @example verifyInclusion(merkleLeafHash(leaf), 3, 7, inclusionProof(leaves, 3), merkleRoot(leaves)) // true
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) return false;
  if (leafHash.length !== 32 || root.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  // fn, sn as in RFC 9162 2.1.3.2 step 2; BigInt-free since sizes stay below 2^53.
  let fn = index;
  let sn = treeSize - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = merkleNodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = merkleNodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && timingSafeEqual(r, root);
}
