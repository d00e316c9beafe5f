import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AuditError,
  generateSigningKey,
  importSigningKey,
  jwkThumbprint,
  pae,
  signEnvelope,
  verifyEnvelope,
  type DsseEnvelope,
  type Jwk,
} from '@dpledger/audit';
import { codeOf } from './fixtures/error-code.js';
import vectors from './fixtures/dsse-vectors.json' with { type: 'json' };

const b64u = (hex: string): string => Buffer.from(hex, 'hex').toString('base64url');
const jwkOf = (name: 'A' | 'B'): Jwk => ({ kty: 'OKP', crv: 'Ed25519', x: b64u(vectors.keys[name].public), kid: name });
// PKCS#8 (RFC 8410 section 7) wrapping of a raw Ed25519 seed, so the RFC 8032 test keys can sign.
const PKCS8_ED25519_PREFIX = '302e020100300506032b657004220420';
const keyFromSeed = (seedHex: string) => {
  const derBase64 = Buffer.from(`${PKCS8_ED25519_PREFIX}${seedHex}`, 'hex').toString('base64');
  return importSigningKey(`-----BEGIN PRIVATE KEY-----\n${derBase64}\n-----END PRIVATE KEY-----\n`);
};

describe('DSSE PAE and the spec test vectors', () => {
  it('PAE of the protocol.md example', () => {
    const { payloadType, body, pae: expected } = vectors.protocol_example;
    expect(pae(payloadType, Buffer.from(body)).toString('latin1')).toBe(expected);
  });

  it("protocol.md's own envelope verifies over our PAE with its ECDSA P-256 key", () => {
    const { ecdsa_p256_sha256: k, envelope } = vectors.protocol_example;
    const coord = (dec: string): string => b64u(BigInt(dec).toString(16).padStart(64, '0'));
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: coord(k.x), y: coord(k.y) }, format: 'jwk' });
    const message = pae(envelope.payloadType, Buffer.from(envelope.payload, 'base64'));
    const sig = Buffer.from(envelope.signatures[0]!.sig, 'base64');
    expect(verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    const other = Buffer.from(message);
    other[other.length - 1] = (other[other.length - 1] ?? 0) ^ 1;
    expect(verify('sha256', other, { key, dsaEncoding: 'ieee-p1363' }, sig)).toBe(false);
  });

  it.each(vectors.vectors)('vector $id: PAE bytes and $expect', (v) => {
    const payload = Buffer.from(
      v.envelope.payload,
      v.envelope.payload.includes('-') || v.envelope.payload.includes('_') ? 'base64url' : 'base64',
    );
    // The swapped vector's `pae` is what its signature covers, which is exactly not the envelope's own PAE.
    const ours = pae(v.envelope.payloadType, payload).toString('hex');
    if (v.id === 'payload-type-swapped') expect(ours).not.toBe(v.pae);
    else expect(ours).toBe(v.pae);
    const keys = v.trustedKeys.map((n) => jwkOf(n as 'A' | 'B'));
    let accepted: boolean;
    try {
      const out = verifyEnvelope(v.envelope, keys);
      accepted = v.supportedPayloadTypes.includes(out.payloadType);
      expect(out.payload.equals(payload)).toBe(true);
    } catch (err) {
      expect(err).toBeInstanceOf(AuditError);
      accepted = false;
    }
    expect(accepted ? 'accept' : 'reject').toBe(v.expect);
  });

  it('Ed25519 signing is deterministic: the RFC 8032 TEST 1 key reproduces the vector signature exactly', () => {
    const key = keyFromSeed(vectors.keys.A.seed);
    const v = vectors.vectors[0]!;
    expect(key.publicJwk.x).toBe(b64u(vectors.keys.A.public));
    const env = signEnvelope(Buffer.from(v.envelope.payload, 'base64'), v.envelope.payloadType, key);
    expect(env.signatures[0]!.sig).toBe(v.envelope.signatures[0]!.sig);
    expect(env.payload).toBe(v.envelope.payload);
  });

  it('kid is the RFC 7638 thumbprint (RFC 8037 appendix A.3 example)', () => {
    expect(jwkThumbprint(b64u(vectors.keys.A.public))).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
    expect(keyFromSeed(vectors.keys.A.seed).kid).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });
});

describe('verifyEnvelope rejects every tampering', () => {
  const key = generateSigningKey();
  const other = generateSigningKey();
  const payloadType = 'application/vnd.in-toto+json';
  const body = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","n":42}');
  const env = signEnvelope(body, payloadType, key);
  const clone = (): DsseEnvelope => structuredClone(env);

  it('accepts the untouched envelope and names the verifying key', () => {
    const out = verifyEnvelope(env, [other.publicJwk, key.publicJwk]);
    expect(out.keyid).toBe(key.kid);
    expect(out.payload.equals(body)).toBe(true);
    expect(out.payloadType).toBe(payloadType);
  });

  it('another key: unknown_key; another key claiming the same kid: bad_signature', () => {
    expect(codeOf(() => verifyEnvelope(env, other.publicJwk))).toBe('unknown_key');
    expect(codeOf(() => verifyEnvelope(env, { ...other.publicJwk, kid: key.kid }))).toBe('bad_signature');
    expect(codeOf(() => verifyEnvelope(env, []))).toBe('unknown_key');
  });

  it('any single changed byte of the payload fails', () => {
    for (let i = 0; i < body.length; i++) {
      for (const flip of [0x01, 0x80]) {
        const changed = Buffer.from(body);
        changed[i] = (changed[i] ?? 0) ^ flip;
        const e = { ...clone(), payload: changed.toString('base64') };
        expect(
          codeOf(() => verifyEnvelope(e, key.publicJwk)),
          `byte ${i}`,
        ).toBe('bad_signature');
      }
    }
  });

  it('any single changed byte of the payloadType fails', () => {
    const type = Buffer.from(payloadType);
    for (let i = 0; i < type.length; i++) {
      const changed = Buffer.from(type);
      changed[i] = (changed[i] ?? 0) ^ 0x01;
      const e = { ...clone(), payloadType: changed.toString('latin1') };
      expect(
        codeOf(() => verifyEnvelope(e, key.publicJwk)),
        `byte ${i}`,
      ).toBe('bad_signature');
    }
    expect(codeOf(() => verifyEnvelope({ ...clone(), payloadType: `${payloadType} ` }, key.publicJwk))).toBe(
      'bad_signature',
    );
  });

  it('any changed character of the base64 payload fails (no second encoding of the same bytes)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    for (let i = 0; i < env.payload.length; i++) {
      const c = env.payload[i]!;
      const replacement = c === '=' ? 'A' : alphabet[(alphabet.indexOf(c) + 1) % 64]!;
      const e = { ...clone(), payload: env.payload.slice(0, i) + replacement + env.payload.slice(i + 1) };
      expect(['bad_signature', 'bad_envelope'], `char ${i}`).toContain(codeOf(() => verifyEnvelope(e, key.publicJwk)));
    }
  });

  it('a missing signature, a garbage-only signature, a changed signature byte', () => {
    expect(codeOf(() => verifyEnvelope({ ...clone(), signatures: [] }, key.publicJwk))).toBe('bad_envelope');
    const { signatures: _omit, ...noSignatures } = clone();
    expect(codeOf(() => verifyEnvelope(noSignatures, key.publicJwk))).toBe('bad_envelope');
    const garbage = { keyid: key.kid, sig: Buffer.alloc(64, 7).toString('base64') };
    expect(codeOf(() => verifyEnvelope({ ...clone(), signatures: [garbage] }, key.publicJwk))).toBe('bad_signature');
    expect(
      codeOf(() =>
        verifyEnvelope({ ...clone(), signatures: [{ sig: Buffer.alloc(3).toString('base64') }] }, key.publicJwk),
      ),
    ).toBe('bad_signature');
    const sig = Buffer.from(env.signatures[0]!.sig, 'base64');
    for (let i = 0; i < sig.length; i += 7) {
      const changed = Buffer.from(sig);
      changed[i] = (changed[i] ?? 0) ^ 0x04;
      expect(
        codeOf(() =>
          verifyEnvelope(
            { ...clone(), signatures: [{ keyid: key.kid, sig: changed.toString('base64') }] },
            key.publicJwk,
          ),
        ),
      ).toBe('bad_signature');
    }
  });

  it('a valid signature next to a garbage one is accepted (DSSE threshold 1), with or without key ids', () => {
    const garbage = { sig: Buffer.alloc(64, 9).toString('base64') };
    expect(verifyEnvelope({ ...clone(), signatures: [garbage, ...env.signatures] }, key.publicJwk).keyid).toBe(key.kid);
    expect(
      verifyEnvelope({ ...clone(), signatures: [{ sig: env.signatures[0]!.sig }] }, [other.publicJwk, key.publicJwk])
        .keyid,
    ).toBe(key.kid);
  });

  it('malformed base64 and malformed envelopes are bad_envelope', () => {
    for (const payload of ['@@@@', 'abd', 'ab=c', 'a', 'aGVsbG8gd29ybGQ==', 'aGVsbG8gd29ybGR=', 'a+b_']) {
      expect(
        codeOf(() => verifyEnvelope({ ...clone(), payload }, key.publicJwk)),
        payload,
      ).toBe('bad_envelope');
    }
    expect(
      codeOf(() => verifyEnvelope({ ...clone(), signatures: [{ sig: `${env.signatures[0]!.sig}!` }] }, key.publicJwk)),
    ).toBe('bad_envelope');
    for (const bad of [
      null,
      'x',
      [],
      { ...clone(), payloadType: 3 },
      { ...clone(), payload: null },
      { ...clone(), signatures: [{}] },
      { ...clone(), signatures: [{ sig: env.signatures[0]!.sig, keyid: 5 }] },
    ]) {
      expect(codeOf(() => verifyEnvelope(bad, key.publicJwk))).toBe('bad_envelope');
    }
  });

  it('URL-safe base64 of the same bytes is accepted (DSSE: verifiers MUST accept either)', () => {
    const e = {
      ...clone(),
      payload: body.toString('base64url'),
      signatures: [{ sig: Buffer.from(env.signatures[0]!.sig, 'base64').toString('base64url') }],
    };
    expect(verifyEnvelope(e, key.publicJwk).payload.equals(body)).toBe(true);
  });

  it('bad keys are bad_key', () => {
    expect(codeOf(() => verifyEnvelope(env, { ...key.publicJwk, crv: 'X25519' } as unknown as Jwk))).toBe('bad_key');
    expect(codeOf(() => verifyEnvelope(env, { ...key.publicJwk, x: 'short' }))).toBe('bad_key');
    expect(codeOf(() => importSigningKey('not a key'))).toBe('bad_key');
  });
});
