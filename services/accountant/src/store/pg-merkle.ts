/**
 * The Merkle nodes of the PostgreSQL store (merkle-log.ts says what is stored): reads, the tree extension inside
 * `insertEvents`, and the one-time build of the trees of a database from before version 6. merkle-log.ts works on
 * synchronous node access, so the few frontier nodes an append needs are read first and the new nodes are written
 * after, in one statement.
 */
import type pg from 'pg';
import { frontierOf } from '@dpledger/audit';
import { appendRecords, recordLeafHashes, type MerkleNodeStore } from './merkle-log.js';
import { recordPages } from './record-pages.js';
import { eventFromRow } from './sqlite-rows.js';
import type { EventRecord } from './store.js';

type Raw = Record<string, unknown>;
type Query = (sql: string, params: unknown[]) => Promise<Raw[]>;

/** A client's (or pool's) query as a function returning rows. */
export const queryOf =
  (c: pg.PoolClient | pg.Pool): Query =>
  async (sql, params) =>
    (await c.query(sql, params)).rows as Raw[];

/**
 * A node of a run's tree: level 0 hashes record `index`; higher levels are stored rows; undefined when absent.
 * @example await pgMerkleNode(queryOf(pool), runId, 3, 0) // hash of records 0..7, or undefined
 */
export async function pgMerkleNode(q: Query, runId: string, level: number, index: number): Promise<Buffer | undefined> {
  if (level === 0) {
    const row = (await q('SELECT * FROM events WHERE run_id = $1 AND sequence = $2', [runId, index]))[0];
    return row === undefined ? undefined : recordLeafHashes([eventFromRow(row)])[0];
  }
  const sql = 'SELECT hash FROM merkle_nodes WHERE run_id = $1 AND level = $2 AND idx = $3';
  const row = (await q(sql, [runId, level, index]))[0];
  return row === undefined ? undefined : (row['hash'] as Buffer);
}

/**
 * Adds records (consecutive sequences of one or more runs, each from its run's current size) to their trees.
 * The caller holds the run's row lock, so no other transaction extends the same tree meanwhile.
 * @example await appendPgRecords(queryOf(client), records)
 */
export async function appendPgRecords(q: Query, records: readonly EventRecord[]): Promise<void> {
  const known = new Map<string, Buffer>();
  const key = (runId: string, level: number, index: number) => `${runId}\u0000${level}\u0000${index}`;
  const puts: { runId: string; level: number; index: number; hash: Buffer }[] = [];
  const nodes: MerkleNodeStore = {
    node: (runId, level, index) => {
      const h = known.get(key(runId, level, index));
      // internal assertion: appendRecords asks only for frontier nodes, all read below before it runs
      if (h === undefined) throw new Error(`Merkle node ${level}/${index} of run ${runId} is missing`);
      return h;
    },
    put: (runId, level, index, hash) => {
      known.set(key(runId, level, index), hash);
      puts.push({ runId, level, index, hash });
    },
  };
  for (let from = 0; from < records.length;) {
    const runId = records[from]!.run_id;
    let to = from + 1;
    while (to < records.length && records[to]!.run_id === runId) to++;
    const batch = records.slice(from, to);
    // The frontier of the tree before this batch: read what this call has not written itself.
    for (const { level, index } of frontierOf(batch[0]!.sequence)) {
      if (known.has(key(runId, level, index))) continue;
      const h = await pgMerkleNode(q, runId, level, index);
      // internal assertion: every frontier node of a stored tree is stored (nodes are written on insert)
      if (h === undefined) throw new Error(`Merkle node ${level}/${index} of run ${runId} is missing`);
      known.set(key(runId, level, index), h);
    }
    appendRecords(nodes, batch);
    from = to;
  }
  if (puts.length === 0) return;
  const insert = 'INSERT INTO merkle_nodes (run_id, level, idx, hash)';
  await q(`${insert} SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bytea[])`, [
    puts.map((p) => p.runId),
    puts.map((p) => p.level),
    puts.map((p) => p.index),
    puts.map((p) => p.hash),
  ]);
}

/**
 * Builds every run's stored nodes from its records (inside the migration transaction).
 * @example await backfillPgMerkle(client)
 */
export async function backfillPgMerkle(client: pg.PoolClient): Promise<void> {
  const q = queryOf(client);
  for (const { id } of (await q('SELECT id FROM runs', [])) as { id: string }[]) {
    const sql = 'SELECT * FROM events WHERE run_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3';
    const read = async (after: number, limit: number) => (await q(sql, [id, after, limit])).map(eventFromRow);
    for await (const records of recordPages(read, { limit: 10_000 })) await appendPgRecords(q, records);
  }
}
