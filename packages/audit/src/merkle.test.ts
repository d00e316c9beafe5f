import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuditError, inclusionProof, merkleLeafHash, merkleRoot, verifyInclusion } from '@dpledger/audit';

// An independent, literal transcription of RFC 9162 2.1.1 (MTH) and 2.1.3.1 (PATH), recursive and slow.
const H = (...parts: Uint8Array[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
const largestPow2Below = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
function mth(d: Uint8Array[]): Buffer {
  if (d.length === 0) return H();
  if (d.length === 1) return H(Uint8Array.of(0), d[0]!);
  const k = largestPow2Below(d.length);
  return H(Uint8Array.of(1), mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: Uint8Array[]): Buffer[] {
  if (d.length === 1) return [];
  const k = largestPow2Below(d.length);
  return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k))] : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}

const leavesOf = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.from(`record-${i}`));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// RFC 6962 reference leaves and tree heads for sizes 0..8, as published by transparency-dev/merkle
// (testonly/constants.go) and google/certificate-transparency (merkle_tree_test); copied as data.
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => Buffer.from(h, 'hex'));
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// Same source: inclusion proofs of leaf 0 and leaf 5 in the 8-leaf tree.
const CT_PROOFS = [
  {
    index: 0,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

describe('Merkle tree (RFC 9162 2.1)', () => {
  it('matches the RFC 6962 reference tree heads for sizes 0..8', () => {
    for (let n = 0; n <= 8; n++) expect(hex(merkleRoot(CT_LEAVES.slice(0, n))), `size ${n}`).toBe(CT_ROOTS[n]);
  });

  it('matches the reference inclusion proofs in the 8-leaf tree', () => {
    for (const { index, proof } of CT_PROOFS) {
      expect(inclusionProof(CT_LEAVES, index).map(hex)).toEqual(proof);
      expect(
        verifyInclusion(
          merkleLeafHash(CT_LEAVES[index]!),
          index,
          8,
          proof.map((p) => Buffer.from(p, 'hex')),
          Buffer.from(CT_ROOTS[8]!, 'hex'),
        ),
      ).toBe(true);
    }
  });

  it('leaf hashes are SHA-256(0x00 || leaf), so a leaf is never an inner node', () => {
    expect(hex(merkleLeafHash(new Uint8Array()))).toBe(CT_ROOTS[1]);
    expect(merkleLeafHash(Buffer.from('ab')).equals(H(Buffer.from([0, 0x61, 0x62])))).toBe(true);
  });

  it('root and every audit path equal the recursive definition for sizes 0..33', () => {
    for (let n = 0; n <= 33; n++) {
      const leaves = leavesOf(n);
      expect(hex(merkleRoot(leaves)), `root of ${n}`).toBe(hex(mth(leaves)));
      for (let m = 0; m < n; m++)
        expect(inclusionProof(leaves, m).map(hex), `path ${m} of ${n}`).toEqual(path(m, leaves).map(hex));
    }
  });

  it('every proof of every index verifies for sizes 1..33, and fails when one hash changes', () => {
    for (let n = 1; n <= 33; n++) {
      const leaves = leavesOf(n);
      const root = merkleRoot(leaves);
      for (let m = 0; m < n; m++) {
        const leafHash = merkleLeafHash(leaves[m]!);
        const proof = inclusionProof(leaves, m);
        expect(verifyInclusion(leafHash, m, n, proof, root), `${m} of ${n}`).toBe(true);
        proof.forEach((_, j) => {
          const bad = proof.map((p) => Buffer.from(p));
          bad[j]![j % 32] = (bad[j]![j % 32] ?? 0) ^ 0x01;
          expect(verifyInclusion(leafHash, m, n, bad, root)).toBe(false);
        });
        const badLeaf = Buffer.from(leafHash);
        badLeaf[31] = (badLeaf[31] ?? 0) ^ 0x80;
        expect(verifyInclusion(badLeaf, m, n, proof, root)).toBe(false);
        const badRoot = Buffer.from(root);
        badRoot[0] = (badRoot[0] ?? 0) ^ 0x01;
        expect(verifyInclusion(leafHash, m, n, proof, badRoot)).toBe(false);
        if (n > 1) expect(verifyInclusion(leafHash, (m + 1) % n, n, proof, root), `index ${m}+1 of ${n}`).toBe(false);
        expect(verifyInclusion(leafHash, m, n, [...proof, root], root)).toBe(false);
        if (proof.length > 0) expect(verifyInclusion(leafHash, m, n, proof.slice(0, -1), root)).toBe(false);
      }
    }
  });

  it('rejects out-of-range indices and malformed hashes', () => {
    const leaves = leavesOf(5);
    const root = merkleRoot(leaves);
    expect(() => inclusionProof(leaves, 5)).toThrow(AuditError);
    expect(() => inclusionProof(leaves, -1)).toThrow(AuditError);
    expect(() => inclusionProof(leaves, 1.5)).toThrow(AuditError);
    const proof = inclusionProof(leaves, 2);
    expect(verifyInclusion(merkleLeafHash(leaves[2]!), 5, 5, proof, root)).toBe(false);
    expect(verifyInclusion(merkleLeafHash(leaves[2]!), 2, 5, proof, root.subarray(1))).toBe(false);
    expect(verifyInclusion(merkleLeafHash(leaves[2]!), 2, 3, proof, root)).toBe(false); // a path too long for the size
  });
});
