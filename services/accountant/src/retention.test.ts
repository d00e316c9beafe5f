import { statSync } from 'node:fs';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { startMaintenance } from './maintenance.js';
import { append, auth, budgetAndRun, step, useTestApp } from './testing/test-deps.js';

const s = useTestApp();
const DAY = 86_400_000;

function housekeeping(at: () => Date) {
  return startMaintenance(s.t.store, {
    idempotencyRetentionDays: 7,
    sessionIdleMs: 30 * 60_000,
    sessionMaxAgeMs: 12 * 3_600_000,
    now: at,
  });
}

describe('idempotency retention', () => {
  it('keeps answers while retained; a replay after purge is 422 idempotency_expired, counts nothing', async () => {
    const { run } = await budgetAndRun(s.t, s.key);
    const t0 = s.t.clock.now.getTime();
    expect((await append(s.t, s.key, run.id, [step()], 'old-key')).status).toBe(200);
    s.t.clock.now = new Date(t0 + 6 * DAY);
    expect((await append(s.t, s.key, run.id, [step()], 'recent-key')).status).toBe(200);

    const m = housekeeping(() => new Date(t0 + 7 * DAY + 1));
    expect((await m.runOnce()).idempotency).toBeGreaterThanOrEqual(1);
    await m.stop();

    const replay = await append(s.t, s.key, run.id, [step()], 'old-key');
    expect(replay.status).toBe(422);
    expect(replay.body.code).toBe('idempotency_expired');
    const recent = await append(s.t, s.key, run.id, [step()], 'recent-key');
    expect(recent.status).toBe(200);
    expect(recent.body.event_count).toBe(2); // the stored answer, not a new append
    expect((await request(s.t.app).get(`/v1/runs/${run.id}`).set(auth(s.key))).body.event_count).toBe(2);
    // The tombstone is per tenant: another tenant may use the same key.
    const other = await s.fresh('other');
    const theirs = await budgetAndRun(s.t, other);
    expect((await append(s.t, other, theirs.run.id, [step()], 'old-key')).status).toBe(200);
  });

  it('checkpoints and truncates the WAL, and deletes expired sessions', async () => {
    const { run } = await budgetAndRun(s.t, s.key);
    for (let i = 0; i < 5; i++) await append(s.t, s.key, run.id, [step()]);
    const wal = `${s.t.file}-wal`;
    expect(statSync(wal).size).toBeGreaterThan(0);
    const now = s.t.clock.now.getTime();
    await s.t.store.openSession({ id_hash: 'a'.repeat(64), tenant: 'acme', created_at: now, last_seen: now }, 50);
    await s.t.store.openSession(
      { id_hash: 'b'.repeat(64), tenant: 'acme', created_at: now - 13 * 3_600_000, last_seen: now },
      50,
    );
    const m = housekeeping(() => new Date(now));
    expect((await m.runOnce()).sessions).toBe(1);
    await m.stop();
    expect(statSync(wal).size).toBe(0);
    expect(await s.t.store.getSession('a'.repeat(64))).toBeDefined();
    expect(await s.t.store.getSession('b'.repeat(64))).toBeUndefined();
  });
});
