import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import type { SigningKeyRow } from '../store/store.js';
import { KeyRing } from './key-ring.js';

const now = () => new Date('2026-01-01T00:00:00.000Z');
let dir = '';
let store: SqliteStore | undefined;

afterEach(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A store whose key rows count how often a private key is read (each read is an import of a key). */
function counting(s: SqliteStore): { store: SqliteStore; pemReads: () => number } {
  let reads = 0;
  const list = s.listSigningKeys.bind(s);
  s.listSigningKeys = async () =>
    (await list()).map((r): SigningKeyRow => ({
      kid: r.kid,
      created_at: r.created_at,
      get private_pem() {
        reads++;
        return r.private_pem;
      },
    }));
  return { store: s, pemReads: () => reads };
}

describe('key ring', () => {
  it('caches public JWKs: a refresh imports nothing for unchanged kids, only a new key after rotation', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dpledger-keys-'));
    store = openSqliteStore(join(dir, 'db.sqlite'));
    const seed = await KeyRing.open(store, now);
    for (let i = 0; i < 20; i++) await seed.rotate(now);
    const { pemReads } = counting(store);
    const ring = await KeyRing.open(store, now);
    const loaded = pemReads();
    expect(loaded).toBe(21);
    const first = ring.jwks();
    for (let i = 0; i < 5; i++) await ring.refresh();
    expect(pemReads()).toBe(loaded);
    expect(ring.jwks()).toBe(first);
    expect(first.map((k) => k.kid)).toEqual(seed.jwks().map((k) => k.kid));

    const replica = openSqliteStore(join(dir, 'db.sqlite')); // a second replica on the same database
    const jwk = await (await KeyRing.open(replica, now)).rotate(now);
    await replica.close();
    await ring.refresh();
    expect(pemReads() - loaded).toBe(1);
    expect(ring.jwks()[0]!.kid).toBe(jwk.kid);
    expect(ring.active.kid).toBe(jwk.kid);
    expect(ring.jwks()).toHaveLength(22);
  });
});
