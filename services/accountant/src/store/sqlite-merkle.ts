/** Merkle node reads of the SQLite store, and the one-time build of the trees of a version 1 database. */
import type Database from 'better-sqlite3';
import { recordLeafHashes, appendRecords } from './merkle-log.js';
import { recordPagesSync } from './record-pages.js';
import { eventFromRow } from './sqlite-rows.js';

type Raw = Record<string, unknown>;

/** Statements `merkleNode` and `eventAt` of a connection. */
export interface MerkleStatements {
  merkleNode: Database.Statement;
  eventAt: Database.Statement;
}

/**
 * A node of a run's tree: level 0 hashes record `index`; higher levels are stored rows.
 * @example merkleNodeOf(statements, runId, 3, 0) // hash of records 0..7, or undefined
 */
export function merkleNodeOf(s: MerkleStatements, runId: string, level: number, index: number): Buffer | undefined {
  if (level === 0) {
    const row = s.eventAt.get(runId, index) as Raw | undefined;
    return row === undefined ? undefined : recordLeafHashes([eventFromRow(row)])[0];
  }
  return (s.merkleNode.get(runId, level, index) as { hash: Buffer } | undefined)?.hash;
}

/** Builds every run's stored nodes from its records (inside the schema upgrade transaction). */
export function backfillMerkle(db: Database.Database): void {
  const page = db.prepare('SELECT * FROM events WHERE run_id = ? AND sequence > ? ORDER BY sequence LIMIT ?');
  const s = {
    merkleNode: db.prepare('SELECT hash FROM merkle_nodes WHERE run_id = ? AND level = ? AND idx = ?'),
    eventAt: db.prepare('SELECT * FROM events WHERE run_id = ? AND sequence = ?'),
  };
  const put = db.prepare('INSERT INTO merkle_nodes (run_id, level, idx, hash) VALUES (?, ?, ?, ?)');
  const nodes = {
    node: (runId: string, level: number, index: number) => merkleNodeOf(s, runId, level, index)!,
    put: (runId: string, level: number, index: number, hash: Buffer) => void put.run(runId, level, index, hash),
  };
  for (const { id } of db.prepare('SELECT id FROM runs').all() as { id: string }[]) {
    const read = (after: number, limit: number) => (page.all(id, after, limit) as Raw[]).map(eventFromRow);
    for (const records of recordPagesSync(read, { limit: 10_000 })) appendRecords(nodes, records);
  }
}
