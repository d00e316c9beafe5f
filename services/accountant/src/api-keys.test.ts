/** Issue 9 item 1: admin routes are admin-only under every spelling; API keys are listed by id and revoked at once. */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './ids.js';
import { ADMIN, auth, budgetAndRun, dbBytes, step, useTestApp } from './testing/test-deps.js';
import { createApp } from './app.js';

const s = useTestApp();

/** Logs in to the dashboard with `key`; the session cookie. */
async function login(key: string): Promise<string> {
  const res = await request(s.t.app).post('/login').type('form').send({ api_key: key });
  expect(res.status).toBe(303);
  return String(res.headers['set-cookie']![0]).split(';')[0]!;
}

const tenantsWithKeys = async () =>
  ((await request(s.t.app).get('/v1/api-keys').set(auth(ADMIN))).body.api_keys as { tenant: string }[]).map(
    (k) => k.tenant,
  );

describe('admin routes', () => {
  it('a tenant key reaches no admin route through a case-variant path (issue 9.1 reproduction)', async () => {
    const keysBefore = (await request(s.t.app).get('/v1/keys')).body.keys;
    for (const path of ['/v1/API-KEYS', '/V1/api-keys', '/v1/Api-Keys', '/v1/api-keys/']) {
      for (const token of [s.key, ADMIN]) {
        const res = await request(s.t.app).post(path).set(auth(token)).send({ tenant: 'mallory' });
        expect(res.status, path).toBe(404);
        expect(res.body.code).toBe('not_found');
      }
    }
    for (const path of ['/v1/KEYS/ROTATE', '/v1/keys/Rotate', '/V1/keys/rotate'])
      expect((await request(s.t.app).post(path).set(auth(s.key))).status, path).toBe(404);
    expect((await request(s.t.app).post('/v1/api-keys').set(auth(s.key)).send({ tenant: 'mallory' })).status).toBe(401);
    expect((await request(s.t.app).post('/v1/keys/rotate').set(auth(s.key))).status).toBe(401);
    expect(await tenantsWithKeys()).not.toContain('mallory');
    expect((await request(s.t.app).get('/v1/keys')).body.keys).toEqual(keysBefore);
  });

  it('lists keys by id and tenant only, to the admin only', async () => {
    const made = await request(s.t.app).post('/v1/api-keys').set(auth(ADMIN)).send({ tenant: 'listed' });
    const res = await request(s.t.app).get('/v1/api-keys').set(auth(ADMIN));
    expect(res.status).toBe(200);
    const mine = res.body.api_keys.find((k: { key_id: string }) => k.key_id === made.body.key_id);
    expect(mine).toEqual({ key_id: made.body.key_id, tenant: 'listed', created_at: '2026-01-01T00:00:00.000Z' });
    expect(res.text).not.toContain(made.body.api_key);
    expect(res.text).not.toContain(sha256Hex(made.body.api_key));
    expect((await request(s.t.app).get('/v1/api-keys').set(auth(s.key))).status).toBe(401);
    expect((await request(s.t.app).get('/v1/api-keys')).status).toBe(401);
  });
});

describe('revocation', () => {
  it('a revoked key stops working at once, in this app and in a replica on the same database', async () => {
    const replicaStore = (await import('./store/sqlite-store.js')).openSqliteStore(s.t.file);
    const replica = await createApp({ store: replicaStore, config: { adminToken: ADMIN } });
    const made = await request(s.t.app).post('/v1/api-keys').set(auth(ADMIN)).send({ tenant: 'revoked' });
    const key = made.body.api_key as string;
    expect((await request(s.t.app).get('/v1/budgets').set(auth(key))).status).toBe(200);
    expect((await request(replica).get('/v1/budgets').set(auth(key))).status).toBe(200);

    s.t.clock.now = new Date('2026-01-02T00:00:00.000Z');
    const revoked = await request(s.t.app).delete(`/v1/api-keys/${made.body.key_id}`).set(auth(ADMIN));
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({
      key_id: made.body.key_id,
      tenant: 'revoked',
      created_at: '2026-01-01T00:00:00.000Z',
      revoked_at: '2026-01-02T00:00:00.000Z',
    });
    for (const app of [s.t.app, replica]) {
      const res = await request(app).get('/v1/budgets').set(auth(key));
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
    }
    // Revoking again changes nothing; the other keys still work.
    s.t.clock.now = new Date('2026-01-03T00:00:00.000Z');
    expect((await request(s.t.app).delete(`/v1/api-keys/${made.body.key_id}`).set(auth(ADMIN))).body.revoked_at).toBe(
      '2026-01-02T00:00:00.000Z',
    );
    expect((await request(replica).get('/v1/budgets').set(auth(s.key))).status).toBe(200);
    s.t.clock.now = new Date('2026-01-01T00:00:00.000Z');
    await replicaStore.close();
  });

  it("revoking a key ends its dashboard sessions, here and in a replica; another key's session lives on", async () => {
    const replicaStore = (await import('./store/sqlite-store.js')).openSqliteStore(s.t.file);
    const replica = await createApp({ store: replicaStore, config: { adminToken: ADMIN }, clock: () => s.t.clock.now });
    const made = await request(s.t.app).post('/v1/api-keys').set(auth(ADMIN)).send({ tenant: 'session-tenant' });
    const other = await request(s.t.app).post('/v1/api-keys').set(auth(ADMIN)).send({ tenant: 'session-tenant' });
    const cookie = await login(made.body.api_key);
    const otherCookie = await login(other.body.api_key);
    for (const app of [s.t.app, replica]) {
      expect((await request(app).get('/train').set('Cookie', cookie)).status).toBe(200);
      expect((await request(app).get('/').set('Cookie', cookie)).text).not.toContain('name="api_key"');
    }
    expect((await request(s.t.app).delete(`/v1/api-keys/${made.body.key_id}`).set(auth(ADMIN))).status).toBe(200);
    for (const app of [s.t.app, replica]) {
      const train = await request(app).get('/train').set('Cookie', cookie);
      expect(train.status).toBe(303);
      expect(train.headers['location']).toBe('/');
      expect((await request(app).get('/').set('Cookie', cookie)).text).toContain('name="api_key"');
      const post = await request(app)
        .post('/train/runs')
        .set('Cookie', cookie)
        .set('Sec-Fetch-Site', 'same-origin')
        .send({ budget_id: 'b', dataset_size: 100, expected_batch_size: 10 });
      expect(post.status).toBe(401);
      // The tenant's other key opened its own session, which is untouched.
      expect((await request(app).get('/train').set('Cookie', otherCookie)).status).toBe(200);
    }
    await replicaStore.close();
  });

  it("a run token from a key or that key's session is refused once the key is revoked, in every replica", async () => {
    const replicaStore = (await import('./store/sqlite-store.js')).openSqliteStore(s.t.file);
    const replica = await createApp({ store: replicaStore, config: { adminToken: ADMIN }, clock: () => s.t.clock.now });
    const made = await request(s.t.app).post('/v1/api-keys').set(auth(ADMIN)).send({ tenant: 'token-tenant' });
    const key = made.body.api_key as string;
    const other = (await request(s.t.app).post('/v1/api-keys').set(auth(ADMIN)).send({ tenant: 'token-tenant' })).body
      .api_key as string;
    const { budget, run } = await budgetAndRun(s.t, key, { epsilon: 10 });
    const direct = (await request(s.t.app).post(`/v1/runs/${run.id}/tokens`).set(auth(key)).send({})).body
      .token as string;
    const fromOther = (await request(s.t.app).post(`/v1/runs/${run.id}/tokens`).set(auth(other)).send({})).body
      .token as string;
    const viaSession = await request(s.t.app)
      .post('/train/runs')
      .set('Cookie', await login(key))
      .set('Sec-Fetch-Site', 'same-origin')
      .send({ budget_id: budget.id, dataset_size: 2000, expected_batch_size: 8 });
    expect(viaSession.status).toBe(201);
    const tokens = [
      [direct, run.id],
      [viaSession.body.token as string, viaSession.body.run_id as string],
    ] as const;
    const reserve = (app: typeof replica, token: string, runId: string) =>
      request(app).post(`/v1/runs/${runId}/reservations`).set(auth(token)).send({ steps: 1, event: step() });
    for (const app of [s.t.app, replica])
      for (const [token, runId] of tokens) expect((await reserve(app, token, runId)).status).toBe(201);

    expect((await request(s.t.app).delete(`/v1/api-keys/${made.body.key_id}`).set(auth(ADMIN))).status).toBe(200);
    const before = dbBytes(s.t);
    for (const app of [s.t.app, replica]) {
      for (const [token, runId] of tokens) {
        const res = await reserve(app, token, runId);
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('unauthorized');
        expect((await request(app).post(`/v1/runs/${runId}/close`).set(auth(token)).send({})).status).toBe(401);
      }
    }
    expect(dbBytes(s.t).equals(before)).toBe(true);
    // A token minted by the tenant's other key still works.
    expect((await reserve(replica, fromOther, run.id)).status).toBe(201);
    await replicaStore.close();
  });

  it('revoking needs the admin token, and an unknown key is 404', async () => {
    const made = await request(s.t.app).post('/v1/api-keys').set(auth(ADMIN)).send({ tenant: 'keep' });
    expect(
      (await request(s.t.app).delete(`/v1/api-keys/${made.body.key_id}`).set(auth(made.body.api_key))).status,
    ).toBe(401);
    expect((await request(s.t.app).delete(`/v1/api-keys/${made.body.key_id}`)).status).toBe(401);
    expect((await request(s.t.app).get('/v1/budgets').set(auth(made.body.api_key))).status).toBe(200);
    const missing = await request(s.t.app).delete('/v1/api-keys/key_nope').set(auth(ADMIN));
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');
  });

  it('a version-3 database (before revocation) gains the column on open and keeps its keys live', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const Database = (await import('better-sqlite3')).default;
    const { MIGRATIONS, SCHEMA_SQL } = await import('./store/sqlite-schema.js');
    const dir = mkdtempSync(join(tmpdir(), 'dpledger-v3-'));
    const file = join(dir, 'db.sqlite');
    const db = new Database(file);
    db.exec(SCHEMA_SQL);
    for (const m of MIGRATIONS) if (m.version <= 3) db.exec(m.sql);
    db.pragma('user_version = 3');
    db.prepare(
      'INSERT INTO api_keys (key_id, tenant, hash, created_at) ' +
        "VALUES ('key_old', 'before-revocation', 'h', '2026-01-01T00:00:00.000Z')",
    ).run();
    db.close();
    const { openSqliteStore } = await import('./store/sqlite-store.js');
    const store = openSqliteStore(file);
    expect((await store.listApiKeys()).map((k) => [k.tenant, k.revoked_at ?? null])).toEqual([
      ['before-revocation', null],
    ]);
    expect(await store.tenantForKeyHash('h')).toBe('before-revocation');
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
