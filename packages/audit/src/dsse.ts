/**
 * DSSE v1 (secure-systems-lab/dsse protocol.md, envelope.md): sign PAE(payloadType, payload) with Ed25519
 * and verify an envelope against trusted keys. The key id is only a hint (protocol.md: it MUST NOT be used
 * for security decisions); acceptance depends on a signature verifying under a trusted key, nothing else.
 */
import { sign, verify } from 'node:crypto';
import type { DsseEnvelope } from '@dpledger/api';
import { decodeBase64Strict } from './base64.js';
import { AuditError } from './errors.js';
import { assertJwk, publicKeyFromJwk, type Jwk, type SigningKey } from './keys.js';

/** The DSSE JSON envelope (envelope.md; the wire's type, openapi.yaml `DsseEnvelope`); payload and sig are base64. */
export type { DsseEnvelope };

/** What a verified envelope carries. `keyid` is the kid of the trusted key that verified it. */
export interface VerifiedEnvelope {
  payload: Buffer;
  payloadType: string;
  keyid: string;
}

/**
 * DSSE v1 Pre-Authentication Encoding (protocol.md):
 * "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN = decimal byte length.
 * @example pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()
 *   // 'DSSEv1 29 http://example.com/HelloWorld 11 hello world'
 */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${payload.length} `, 'ascii'),
    payload,
  ]);
}

/**
 * Signs `payload` as `payloadType` with an Ed25519 key (RFC 8032 PureEdDSA over the PAE bytes).
 * @example signEnvelope(Buffer.from('{}'), 'application/vnd.in-toto+json', key).signatures[0].keyid === key.kid
 */
export function signEnvelope(payload: Uint8Array, payloadType: string, key: SigningKey): DsseEnvelope {
  const sig = sign(null, pae(payloadType, payload), key.privateKey);
  return {
    payloadType,
    payload: Buffer.from(payload).toString('base64'),
    signatures: [{ keyid: key.kid, sig: sig.toString('base64') }],
  };
}

function parseEnvelope(envelope: unknown): {
  payloadType: string;
  payload: Buffer;
  signatures: { keyid?: string; sig: Buffer }[];
} {
  const e = envelope as Partial<Record<keyof DsseEnvelope, unknown>> | null;
  if (e === null || typeof e !== 'object' || Array.isArray(e))
    throw new AuditError('bad_envelope', 'the envelope is not a JSON object');
  if (typeof e.payloadType !== 'string') throw new AuditError('bad_envelope', 'payloadType must be a string');
  if (typeof e.payload !== 'string') throw new AuditError('bad_envelope', 'payload must be a base64 string');
  if (!Array.isArray(e.signatures) || e.signatures.length === 0)
    throw new AuditError('bad_envelope', 'the envelope has no signatures');
  const signatures = e.signatures.map((s: unknown, i) => {
    const sig = s as { keyid?: unknown; sig?: unknown } | null;
    if (sig === null || typeof sig !== 'object' || typeof sig.sig !== 'string')
      throw new AuditError('bad_envelope', `signatures[${i}].sig must be a base64 string`);
    if (sig.keyid !== undefined && typeof sig.keyid !== 'string')
      throw new AuditError('bad_envelope', `signatures[${i}].keyid must be a string`);
    return {
      ...(sig.keyid === undefined ? {} : { keyid: sig.keyid }),
      sig: decodeBase64Strict(sig.sig, `signatures[${i}].sig`),
    };
  });
  return { payloadType: e.payloadType, payload: decodeBase64Strict(e.payload, 'payload'), signatures };
}

/**
 * Verifies a DSSE envelope: accepted when at least one signature verifies over the PAE under one of `keys`
 * (threshold 1). Signatures whose key id names a trusted key are checked against that key only; others
 * against every key. Throws AuditError: 'bad_envelope' (shape, base64), 'bad_key', 'unknown_key' (no key
 * named by any key id, none verifies) or 'bad_signature'.
 * @example const { payload, keyid } = verifyEnvelope(JSON.parse(text), jwks)
 */
export function verifyEnvelope(envelope: unknown, keys: Jwk | Jwk[]): VerifiedEnvelope {
  const trusted = (Array.isArray(keys) ? keys : [keys]).map(assertJwk);
  const { payloadType, payload, signatures } = parseEnvelope(envelope);
  const message = pae(payloadType, payload);
  const publicKeys = new Map(trusted.map((k) => [k, publicKeyFromJwk(k)]));
  let anyNamedKey = false;
  for (const { keyid, sig } of signatures) {
    const named = trusted.filter((k) => k.kid === keyid);
    anyNamedKey ||= named.length > 0 || keyid === undefined;
    for (const key of named.length > 0 ? named : trusted) {
      // Ed25519 signatures are 64 bytes (RFC 8032 5.1.6); node throws on other lengths, so skip them.
      if (sig.length === 64 && verify(null, message, publicKeys.get(key)!, sig))
        return { payload, payloadType, keyid: key.kid };
    }
  }
  if (!anyNamedKey)
    throw new AuditError(
      'unknown_key',
      `no trusted key matches key id ${signatures.map((s) => JSON.stringify(s.keyid)).join(', ')}`,
    );
  throw new AuditError('bad_signature', 'no signature verifies under the trusted keys');
}
