import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../app.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { ADMIN, testApp, type TestApp } from '../testing/test-deps.js';
import { SessionTable } from './sessions.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

function tempStore(): { store: SqliteStore; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dpledger-sessions-'));
  const file = join(dir, 'db.sqlite');
  const store = openSqliteStore(file, { synchronous: 'normal' });
  cleanup.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, file };
}

async function app(extra: Parameters<typeof testApp>[0] = {}): Promise<TestApp> {
  const t = await testApp(extra);
  cleanup.push(() => t.close());
  return t;
}

const login = (t: TestApp, key: string) => request(t.app).post('/login').type('form').send({ api_key: key });
const cookieOf = (res: request.Response) => String(res.headers['set-cookie']?.[0] ?? '').split(';')[0]!;

describe('dashboard sessions', () => {
  it("10,000 logins by one tenant evict only that tenant's oldest sessions, never another tenant's", async () => {
    const { store } = tempStore();
    const table = new SessionTable(store);
    const other = await table.open('other');
    const first = await table.open('acme');
    const ids: string[] = [];
    for (let i = 0; i < 10_000; i += 500)
      ids.push(...(await Promise.all(Array.from({ length: 500 }, () => table.open('acme')))));
    expect((await table.get(other))?.tenant).toBe('other');
    expect(await table.get(first)).toBeUndefined();
    expect((await table.get(ids[ids.length - 1]))?.tenant).toBe('acme');
    const live = (await Promise.all(ids.slice(-60).map((id) => table.get(id)))).filter((s) => s !== undefined);
    expect(live).toHaveLength(50);
  });

  it('expires idle and old sessions and forgets closed ones', async () => {
    const { store } = tempStore();
    let now = 0;
    const t = new SessionTable(store, { idleMs: 100, maxAgeMs: 250, now: () => now });
    const id = await t.open('acme');
    expect((await t.get(id))?.tenant).toBe('acme');
    now = 90;
    expect((await t.get(id))?.tenant).toBe('acme');
    now = 180;
    expect((await t.get(id))?.tenant).toBe('acme');
    now = 260;
    expect(await t.get(id)).toBeUndefined();
    const idle = await t.open('acme');
    now = 400;
    expect(await t.get(idle)).toBeUndefined();
    const closed = await t.open('acme');
    await t.close(closed);
    expect(await t.get(closed)).toBeUndefined();
    expect(await t.get(undefined)).toBeUndefined();
    expect(await store.getSession(closed)).toBeUndefined(); // the store holds hashes, never the cookie value
  });

  it('survive a restart: a new app on the same store file keeps the session', async () => {
    const t = await app();
    const key = await t.key('acme');
    const cookie = cookieOf(await login(t, key));
    expect(cookie).toMatch(/^dpl_session=/);
    await t.store.close();
    const store = openSqliteStore(t.file);
    const again = await createApp({
      store,
      config: { adminToken: ADMIN },
      clock: () => t.clock.now,
      logger: pino({ level: 'silent' }),
    });
    const page = await request(again).get('/').set('Cookie', cookie);
    await store.close();
    t.store = openSqliteStore(t.file); // so that close() has an open store to close
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('name="api_key"');
    expect(page.text).toContain('acme');
  });

  it('rate-limits login attempts per address (429 with Retry-After) and logins per tenant', async () => {
    const t = await app({ loginLimits: { perIp: { burst: 5, perMinute: 10 }, perTenant: { burst: 2, perMinute: 1 } } });
    const key = await t.key('acme');
    expect((await login(t, key)).status).toBe(303);
    expect((await login(t, key)).status).toBe(303);
    const tenantLimited = await login(t, key);
    expect(tenantLimited.status).toBe(429);
    expect(tenantLimited.headers['set-cookie']).toBeUndefined();
    for (let i = 0; i < 2; i++) expect((await login(t, 'dpl_wrong')).status).toBe(401);
    const ipLimited = await login(t, 'dpl_wrong');
    expect(ipLimited.status).toBe(429);
    expect(Number(ipLimited.headers['retry-after'])).toBe(6);
    t.clock.now = new Date(t.clock.now.getTime() + 60_000); // a minute refills the address bucket and one tenant token
    expect((await login(t, key)).status).toBe(303);
  });
});
