/** A closed run's Merkle commitment and inclusion proofs, from the store's kept tree (O(log n) node reads). */
import { inclusionFromNodes, rootFromNodes, type MerkleCommitment, type MerkleNodeReader } from '@dpledger/audit';
import { ServiceError } from '../errors.js';
import type { EventRecord, RunRow, Store } from '../store/store.js';

function reader(store: Store, runId: string): MerkleNodeReader {
  return async (level, index) => {
    const hash = await store.merkleNode(runId, level, index);
    if (hash === undefined)
      throw new ServiceError('internal', `Merkle node ${level}/${index} of run ${runId} is missing`);
    return hash;
  };
}

/**
 * The RFC 9162 root over a run's `event_count` records, as `eventLogCommitment` of all of them would give.
 * @example (await runCommitment(store, run)).root // hex
 */
export async function runCommitment(store: Store, run: RunRow): Promise<MerkleCommitment> {
  const root = await rootFromNodes(reader(store, run.id), run.event_count);
  return { alg: 'sha256', root: root.toString('hex'), tree_size: run.event_count };
}

/**
 * The record at `sequence`, its leaf hash and its RFC 9162 audit path (2.1.3.1) to the root of the run's log.
 * @example const p = await recordProof(store, run, 3) // verifyInclusion(p.leafHash, 3, p.treeSize, p.path, p.root)
 */
export async function recordProof(
  store: Store,
  run: RunRow,
  sequence: number,
): Promise<{ record: EventRecord; leafHash: Buffer; path: Buffer[]; root: Buffer; treeSize: number }> {
  const read = reader(store, run.id);
  const [record] = await store.listEvents(run.id, sequence - 1, 1);
  if (record === undefined || record.sequence !== sequence)
    throw new ServiceError('not_found', `run ${run.id} has no event ${sequence}`);
  const { path, root } = await inclusionFromNodes(read, sequence, run.event_count);
  return { record, leafHash: await read(0, sequence), path, root, treeSize: run.event_count };
}
