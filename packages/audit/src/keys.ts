/**
 * Ed25519 signing keys (RFC 8032) and their public JWKs (RFC 8037 section 2). The key id is the RFC 7638
 * JWK thumbprint, so it names the key material itself and cannot be reassigned to another key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Jwk } from '@dpledger/api';
import { base64url, decodeBase64Strict } from './base64.js';
import { AuditError } from './errors.js';

/** A public Ed25519 verification key as served by `GET /v1/keys` (the wire's type, openapi.yaml `Jwk`). */
export type { Jwk };

/** A private signing key with its public JWK. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Jwk;
}

/**
 * RFC 7638 thumbprint of an OKP key: base64url SHA-256 of {"crv","kty","x"} in that (sorted) order,
 * with no whitespace (RFC 8037 section 2 names the required members).
 * @example
 * jwkThumbprint('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo') // 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
 */
export function jwkThumbprint(x: string): string {
  const members = `{"crv":"Ed25519","kty":"OKP","x":${JSON.stringify(x)}}`;
  return base64url(createHash('sha256').update(members, 'utf8').digest());
}

function fromPrivateKey(privateKey: KeyObject): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new AuditError('bad_key', `expected an Ed25519 key, got ${privateKey.asymmetricKeyType ?? 'a secret key'}`);
  const { x } = createPublicKey(privateKey).export({ format: 'jwk' });
  if (typeof x !== 'string') throw new AuditError('bad_key', 'the public key has no x coordinate');
  const kid = jwkThumbprint(x);
  return { kid, privateKey, publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' } };
}

/**
 * A fresh Ed25519 key from node:crypto's CSPRNG.
 * @example const key = generateSigningKey(); key.publicJwk.kid === key.kid // true
 */
export function generateSigningKey(): SigningKey {
  return fromPrivateKey(generateKeyPairSync('ed25519').privateKey);
}

/**
 * The private key as PKCS#8 PEM (RFC 5958), for storage with restrictive file modes.
 * @example importSigningKey(exportSigningKey(key)).kid === key.kid // true
 */
export function exportSigningKey(key: SigningKey): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/**
 * Reads a PKCS#8 PEM Ed25519 private key. Throws AuditError('bad_key') for anything else.
 * @example const key = importSigningKey(fs.readFileSync('signing-key.pem', 'utf8'))
 */
export function importSigningKey(pem: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new AuditError('bad_key', 'not a PEM private key', { cause: err });
  }
  return fromPrivateKey(privateKey);
}

/**
 * Checks that `value` is an Ed25519 public JWK with a 32-byte `x` and a string `kid`, and returns it typed.
 * @example assertJwk(JSON.parse(fs.readFileSync('key.jwk', 'utf8')))
 */
export function assertJwk(value: unknown): Jwk {
  const v = value as Partial<Record<keyof Jwk, unknown>> | null;
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new AuditError('bad_key', 'a JWK must be a JSON object');
  if (v.kty !== 'OKP' || v.crv !== 'Ed25519') throw new AuditError('bad_key', 'only OKP Ed25519 JWKs are accepted');
  if (typeof v.kid !== 'string' || v.kid === '') throw new AuditError('bad_key', 'the JWK has no kid');
  if (typeof v.x !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(v.x))
    throw new AuditError('bad_key', `JWK ${v.kid}: x is not a 32-byte base64url value`);
  try {
    decodeBase64Strict(v.x, 'JWK x'); // rejects non-zero trailing bits
  } catch (err) {
    throw new AuditError('bad_key', `JWK ${v.kid}: x is not canonical base64url`, { cause: err });
  }
  return v as Jwk;
}

/**
 * The node:crypto public key of a JWK (after assertJwk).
 * @example crypto.verify(null, message, publicKeyFromJwk(jwk), signature)
 */
export function publicKeyFromJwk(jwk: Jwk): KeyObject {
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  } catch (err) {
    throw new AuditError('bad_key', `JWK ${jwk.kid} is not a valid Ed25519 public key`, { cause: err });
  }
}
