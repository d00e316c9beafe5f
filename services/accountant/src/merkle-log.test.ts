import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import {
  eventLogCommitment,
  eventRecordLeaf,
  merkleLeafHash,
  rootFromNodes,
  verifyInclusion,
  type EventRecord,
} from '@dpledger/audit';
import { describe, expect, it, vi } from 'vitest';
import { recordLeafHashes } from './store/merkle-log.js';
import { openSqliteStore } from './store/sqlite-store.js';
import { SCHEMA_SQL } from './store/sqlite-schema.js';
import { auth, budgetAndRun, step, useTestApp } from './testing/test-deps.js';

const s = useTestApp();
const hex = (h: string) => Buffer.from(h, 'hex');
const digests = { model_digest: { sha256: 'a'.repeat(64) }, dataset_digest: { sha256: 'b'.repeat(64) } };

async function allRecords(runId: string): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  for (;;) {
    const page = await s.t.store.listEvents(runId, out.length - 1, 5000);
    out.push(...page);
    if (page.length < 5000) return out;
  }
}

describe('the Merkle tree is kept as records are inserted', () => {
  it('leaf hashes of shared-event records equal RFC 8785 eventRecordLeaf of each record', () => {
    const event = {
      kind: 'composed',
      events: [{ kind: 'gaussian', noise_multiplier: 1e21 }, step(0.5, 1e-7)],
    } as never;
    const records: EventRecord[] = [0, 1, 2].map((i) => ({
      sequence: i + 9,
      run_id: 'run_"é"',
      event,
      recorded_at: `2026-01-01T00:00:0${i}.000Z`,
    }));
    expect(recordLeafHashes(records)).toEqual(records.map((r) => merkleLeafHash(eventRecordLeaf(r))));
  });

  it("10,000 records: the report root is the whole log's; an inclusion proof reads O(log n) nodes", async () => {
    const { run } = await budgetAndRun(s.t, s.key, { epsilon: 1000 });
    const reserve = (steps: number) =>
      request(s.t.app).post(`/v1/runs/${run.id}/reservations`).set(auth(s.key)).send({ steps, event: step() });
    // Uneven batches: the tree is extended across many commits and appends.
    for (const n of [1000, 1000, 1000, 1000, 97, 3, 1000, 1000, 1000, 1000, 1000]) {
      const r = await reserve(n);
      expect(
        (await request(s.t.app).post(`/v1/reservations/${r.body.id}/commit`).set(auth(s.key)).send({ used: n })).status,
      ).toBe(200);
    }
    const tail = await request(s.t.app)
      .post(`/v1/runs/${run.id}/events`)
      .set(auth(s.key))
      .send({ events: Array.from({ length: 900 }, (_, i) => (i % 3 ? step() : { kind: 'no_op' })) });
    expect(tail.status).toBe(200);
    expect((await request(s.t.app).post(`/v1/runs/${run.id}/close`).set(auth(s.key)).send(digests)).status).toBe(200);
    const n = 10_000;
    const records = await allRecords(run.id);
    expect(records).toHaveLength(n);
    const report = (await request(s.t.app).get(`/v1/runs/${run.id}/report`).set(auth(s.key))).body;
    const predicate = JSON.parse(Buffer.from(report.payload, 'base64').toString('utf8')).predicate;
    expect(predicate.merkle_root).toEqual(eventLogCommitment(records));

    const nodeReads = vi.spyOn(s.t.store, 'merkleNode');
    const listReads = vi.spyOn(s.t.store, 'listEvents');
    try {
      for (const seq of [0, 4096, 7777, n - 1]) {
        nodeReads.mockClear();
        listReads.mockClear();
        const res = await request(s.t.app).get(`/v1/runs/${run.id}/proof/${seq}`).set(auth(s.key));
        expect(res.status).toBe(200);
        expect(res.body.record).toEqual(records[seq]);
        expect(res.body.root).toBe(predicate.merkle_root.root);
        expect(verifyInclusion(hex(res.body.leaf_hash), seq, n, res.body.audit_path.map(hex), hex(res.body.root))).toBe(
          true,
        );
        expect(nodeReads.mock.calls.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)) + 2);
        expect(listReads.mock.calls.length).toBe(1);
      }
    } finally {
      nodeReads.mockRestore();
      listReads.mockRestore();
    }
  });

  it('opening a version 1 database builds the trees of its runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpledger-v1-'));
    try {
      const file = join(dir, 'db.sqlite');
      const db = new Database(file);
      db.exec(SCHEMA_SQL.replace(/CREATE TABLE IF NOT EXISTS merkle_nodes \([^;]*;/, ''));
      db.pragma('user_version = 1');
      db.prepare(
        "INSERT INTO budgets VALUES ('b', 't', 'b', NULL, 1, 1e-5, 'rdp', 'add_or_remove_one', 'x', 0, 0, " +
          "x'', '[]', 1)",
      ).run();
      db.prepare(
        'INSERT INTO runs (id, tenant, budget_id, name, sampler, status, event_count, epsilon_spent, rdp, ledger, ' +
          "created_at) VALUES ('r', 't', 'b', 'r', '{}', 'open', 13, 0, x'', '[]', 'x')",
      ).run();
      const records: EventRecord[] = Array.from({ length: 13 }, (_, i) => ({
        sequence: i,
        run_id: 'r',
        event: step() as never,
        recorded_at: '2026-01-01T00:00:00.000Z',
      }));
      for (const r of records)
        db.prepare('INSERT INTO events VALUES (?, ?, ?, ?)').run(
          r.run_id,
          r.sequence,
          JSON.stringify(r.event),
          r.recorded_at,
        );
      db.close();
      const store = openSqliteStore(file);
      try {
        const root = await rootFromNodes(async (l, i) => (await store.merkleNode('r', l, i))!, 13);
        expect(root.toString('hex')).toBe(eventLogCommitment(records).root);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
