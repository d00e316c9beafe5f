import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSigningKey, generateSigningKey } from '@dpledger/audit';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { openPrivateKey, parseKeyEncryptionKey, sealPrivateKey } from './key-encryption.js';
import { KeyRing } from './key-ring.js';

const KEK = parseKeyEncryptionKey('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff')!;
const OTHER = parseKeyEncryptionKey(Buffer.alloc(32, 7).toString('base64'))!;
const now = () => new Date('2026-01-01T00:00:00.000Z');

let dir: string | undefined;
let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  store = undefined;
  dir = undefined;
});
function fresh(): SqliteStore {
  dir = mkdtempSync(join(tmpdir(), 'dpledger-kek-'));
  return (store = openSqliteStore(join(dir, 'db.sqlite')));
}

describe('signing keys encrypted at rest (DPLEDGER_KEY_ENCRYPTION_KEY)', () => {
  it('stores new keys sealed, and a ring opened with the same key signs with them', async () => {
    const store = fresh();
    const ring = await KeyRing.open(store, now, KEK);
    await ring.rotate(now);
    const rows = await store.listSigningKeys();
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r.private_pem).not.toContain('PRIVATE KEY');
    const again = await KeyRing.open(store, now, KEK);
    expect(again.jwks()).toEqual(ring.jwks());
    expect(again.active.kid).toBe(ring.active.kid);
  });

  it('refuses to open sealed keys without the key, or with another one', async () => {
    const store = fresh();
    await KeyRing.open(store, now, KEK);
    await expect(KeyRing.open(store, now)).rejects.toThrow(/is encrypted: set DPLEDGER_KEY_ENCRYPTION_KEY/);
    await expect(KeyRing.open(store, now, OTHER)).rejects.toThrow(/does not open/);
  });

  it('binds a sealed key to its kid, and still reads keys stored as PEM before a key was set', () => {
    const key = generateSigningKey();
    const pem = exportSigningKey(key);
    const sealed = sealPrivateKey(pem, key.kid, KEK);
    expect(openPrivateKey(sealed, key.kid, KEK)).toBe(pem);
    expect(() => openPrivateKey(sealed, 'another-kid', KEK)).toThrow(/does not open/);
    expect(sealPrivateKey(pem, key.kid, KEK)).not.toBe(sealed); // a fresh IV per seal
    expect(openPrivateKey(pem, key.kid, KEK)).toBe(pem);
    expect(sealPrivateKey(pem, key.kid, undefined)).toBe(pem);
  });

  it('accepts 32 bytes as hex or base64 and refuses anything else', () => {
    expect(parseKeyEncryptionKey(undefined)).toBeUndefined();
    expect(parseKeyEncryptionKey('')).toBeUndefined();
    expect(parseKeyEncryptionKey('ab'.repeat(32))).toHaveLength(32);
    for (const bad of ['ab'.repeat(16), 'not base64 at all!', Buffer.alloc(16).toString('base64'), 'ab'.repeat(33)]) {
      expect(() => parseKeyEncryptionKey(bad)).toThrow(/32 bytes/);
    }
  });
});
