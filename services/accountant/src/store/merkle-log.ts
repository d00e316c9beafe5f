/**
 * Each run's RFC 9162 Merkle tree, kept up to date as records are inserted: the inner nodes of complete perfect
 * subtrees are stored (@dpledger/audit merkle-frontier.ts), level 0 is the record itself. Closing a run and
 * proving one record's inclusion then read O(log n) nodes instead of the whole log.
 */
import { appendToFrontier, canonicalJson, frontierOf, merkleLeafHash } from '@dpledger/audit';
import type { EventRecord } from './store.js';

/**
 * The leaf hashes of records (SHA-256(0x00 || RFC 8785 JSON of the record), as `eventRecordLeaf`), serializing a
 * shared event object once: members in RFC 8785 order are event, recorded_at, run_id, sequence.
 * @example recordLeafHashes(records)[0].equals(merkleLeafHash(eventRecordLeaf(records[0]))) // true
 */
export function recordLeafHashes(records: readonly EventRecord[]): Buffer[] {
  let lastEvent: unknown;
  let event = '';
  let lastHead: string | undefined;
  let head = '';
  return records.map((r) => {
    if (r.event !== lastEvent) event = canonicalJson((lastEvent = r.event));
    const tail = `${r.recorded_at}\u0000${r.run_id}`;
    if (tail !== lastHead) {
      lastHead = tail;
      head = `,"recorded_at":${canonicalJson(r.recorded_at)},"run_id":${canonicalJson(r.run_id)},"sequence":`;
    }
    // internal assertion: the store hands only its own validated records to the Merkle log
    if (!Number.isSafeInteger(r.sequence) || r.sequence < 0) throw new Error(`bad sequence ${r.sequence}`);
    return merkleLeafHash(Buffer.from(`{"event":${event}${head}${r.sequence}}`, 'utf8'));
  });
}

/** Synchronous node access inside a write transaction. */
export interface MerkleNodeStore {
  /** A stored node (level >= 1), or the leaf hash of record `index` (level 0). */
  node(runId: string, level: number, index: number): Buffer;
  put(runId: string, level: number, index: number, hash: Buffer): void;
}

/**
 * Adds records (consecutive sequences of one run, starting at the run's current size) to its tree.
 * @example appendRecords(nodes, records) // stores about one node per record
 */
export function appendRecords(nodes: MerkleNodeStore, records: readonly EventRecord[]): void {
  for (let from = 0; from < records.length;) {
    const runId = records[from]!.run_id;
    let to = from + 1;
    while (to < records.length && records[to]!.run_id === runId) to++;
    const batch = records.slice(from, to);
    const size = batch[0]!.sequence;
    batch.forEach((r, i) => {
      // internal assertion: insertEvents writes a run's records consecutively
      if (r.sequence !== size + i) throw new Error(`records of run ${runId} are not consecutive at ${r.sequence}`);
    });
    const frontier = frontierOf(size).map(({ level, index }) => nodes.node(runId, level, index));
    const put = (level: number, index: number, hash: Buffer) => nodes.put(runId, level, index, hash);
    appendToFrontier(size, frontier, recordLeafHashes(batch), put);
    from = to;
  }
}
