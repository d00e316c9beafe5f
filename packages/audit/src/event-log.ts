/** The Merkle log of a run's event records: leaves are RFC 8785 canonical JSON of each record, in sequence order. */
import type { EventRecord, MerkleCommitment } from '@dpledger/api';
import { canonicalJson } from './canonical-json.js';
import { merkleRoot } from './merkle.js';

/** One logged invocation of a run, as served by `GET /v1/runs/{id}/events`. */
export type { EventRecord };

/** The predicate's commitment to the event log (the statement's type, in @dpledger/api). */
export type { MerkleCommitment };

/**
 * The Merkle leaf of one record: the UTF-8 bytes of its RFC 8785 canonical JSON.
 * @example eventRecordLeaf({ sequence: 1, run_id: 'r', event: { kind: 'no_op' }, recorded_at: '2026-01-01T00:00:00Z' })
 */
export function eventRecordLeaf(record: EventRecord): Uint8Array {
  return Buffer.from(canonicalJson(record), 'utf8');
}

/**
 * The records sorted by `sequence` (a copy; the input is not reordered).
 * @example inSequenceOrder(page.events).map((r) => r.sequence) // [1, 2, 3]
 */
export function inSequenceOrder(records: readonly EventRecord[]): EventRecord[] {
  return [...records].sort((a, b) => a.sequence - b.sequence);
}

/**
 * The RFC 9162 Merkle root over the records' leaves in sequence order.
 * @example eventLogCommitment(records) // { alg: 'sha256', root: '9f86...', tree_size: 2 }
 */
export function eventLogCommitment(records: readonly EventRecord[]): MerkleCommitment {
  const leaves = inSequenceOrder(records).map(eventRecordLeaf);
  return { alg: 'sha256', root: merkleRoot(leaves).toString('hex'), tree_size: leaves.length };
}
