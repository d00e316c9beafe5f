import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AuditError,
  assertJwk,
  exportSigningKey,
  generateSigningKey,
  importSigningKey,
  jwkThumbprint,
  signEnvelope,
  verifyEnvelope,
} from '@dpledger/audit';

describe('signing keys', () => {
  it('export and import keep the key: same kid, and old signatures verify under the re-imported JWK', () => {
    const key = generateSigningKey();
    const pem = exportSigningKey(key);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const again = importSigningKey(pem);
    expect(again.kid).toBe(key.kid);
    expect(again.publicJwk).toEqual(key.publicJwk);
    const env = signEnvelope(Buffer.from('x'), 'text/plain', key);
    expect(verifyEnvelope(env, again.publicJwk).keyid).toBe(key.kid);
  });

  it('the public JWK is a valid OKP Ed25519 JWK whose kid is its thumbprint, with no private part', () => {
    const { publicJwk, kid } = generateSigningKey();
    expect(assertJwk(publicJwk)).toBe(publicJwk);
    expect(kid).toBe(jwkThumbprint(publicJwk.x));
    expect(Object.keys(publicJwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    expect(generateSigningKey().kid).not.toBe(kid);
  });

  it('refuses non-Ed25519 private keys', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => importSigningKey(pem)).toThrow(AuditError);
  });
});
