import { describe, expect, it } from 'vitest';
import {
  IN_TOTO_PAYLOAD_TYPE,
  PRIVACY_REPORT_PREDICATE_TYPE,
  buildStatement,
  canonicalJson,
  eventLogCommitment,
  eventRecordLeaf,
  generateSigningKey,
  inclusionProof,
  merkleLeafHash,
  merkleRoot,
  signEnvelope,
  signReport,
  verifyInclusion,
  verifyReport,
} from '@dpledger/audit';
import { codeOf } from './fixtures/error-code.js';
import { DATASET_DIGEST, MODEL_DIGEST, sampleRecords, samplePredicate } from './fixtures/sample-report.js';

describe('signed privacy reports', () => {
  const key = generateSigningKey();
  const records = sampleRecords(10);
  const statement = buildStatement({
    model_digest: MODEL_DIGEST,
    dataset_digest: DATASET_DIGEST,
    predicate: samplePredicate(records),
  });

  it('builds an in-toto Statement v1 with the model and dataset-manifest subjects', () => {
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe(PRIVACY_REPORT_PREDICATE_TYPE);
    expect(statement.subject).toEqual([
      { name: 'model', digest: MODEL_DIGEST },
      { name: 'dataset-manifest', digest: DATASET_DIGEST },
    ]);
  });

  it('signs the canonical JSON of the statement and verifies back to the same statement', () => {
    const envelope = signReport(statement, key);
    expect(envelope.payloadType).toBe(IN_TOTO_PAYLOAD_TYPE);
    expect(Buffer.from(envelope.payload, 'base64').toString('utf8')).toBe(canonicalJson(statement));
    const verified = verifyReport(JSON.parse(JSON.stringify(envelope)), [key.publicJwk]);
    expect(verified.keyid).toBe(key.kid);
    expect(verified.statement).toEqual(statement);
    expect(verified.predicate.epsilon.rdp.order).toBe(14);
  });

  it('a report signed by a rotated-out key still verifies when that key is in the set', () => {
    const newer = generateSigningKey();
    const envelope = signReport(statement, key);
    expect(verifyReport(envelope, [newer.publicJwk, key.publicJwk]).keyid).toBe(key.kid);
    expect(codeOf(() => verifyReport(envelope, [newer.publicJwk]))).toBe('unknown_key');
  });

  it('refuses a validly signed payload of another type, or one that is not a privacy report', () => {
    const otherType = signEnvelope(Buffer.from(canonicalJson(statement)), 'application/json', key);
    expect(codeOf(() => verifyReport(otherType, key.publicJwk))).toBe('bad_payload');
    const notJson = signEnvelope(Buffer.from('{"_type":'), IN_TOTO_PAYLOAD_TYPE, key);
    expect(codeOf(() => verifyReport(notJson, key.publicJwk))).toBe('bad_payload');
    const badUtf8 = signEnvelope(Buffer.from([0x7b, 0xff, 0x7d]), IN_TOTO_PAYLOAD_TYPE, key);
    expect(codeOf(() => verifyReport(badUtf8, key.publicJwk))).toBe('bad_payload');
    for (const broken of [
      { ...statement, predicateType: 'https://slsa.dev/provenance/v1' },
      { ...statement, subject: [] },
      { ...statement, subject: [{ name: 'model', digest: { sha256: 'xyz' } }] },
      {
        ...statement,
        predicate: {
          ...statement.predicate,
          epsilon: { ...statement.predicate.epsilon, rdp: { epsilon: 'big', order: 2 } },
        },
      },
      {
        ...statement,
        predicate: { ...statement.predicate, sampler: { ...statement.predicate.sampler, kind: 'magic' } },
      },
      {
        ...statement,
        predicate: { ...statement.predicate, merkle_root: { ...statement.predicate.merkle_root, root: 'nope' } },
      },
      { ...statement, predicate: { ...statement.predicate, ledger: { kind: 'composed' } } },
      { ...statement, predicate: { ...statement.predicate, ledger: { kind: 'gaussian', noise_multiplier: -1 } } },
    ]) {
      const envelope = signEnvelope(Buffer.from(canonicalJson(broken)), IN_TOTO_PAYLOAD_TYPE, key);
      expect(codeOf(() => verifyReport(envelope, key.publicJwk))).toBe('bad_statement');
    }
  });

  it('signReport refuses to sign a malformed statement', () => {
    expect(
      codeOf(() => signReport({ ...statement, predicate: { ...statement.predicate, event_count: -1 } }, key)),
    ).toBe('bad_statement');
  });
});

describe('event log commitment', () => {
  it('is the RFC 9162 root over canonical records in sequence order, whatever order they come in', () => {
    const records = sampleRecords(7);
    const commitment = eventLogCommitment([...records].reverse());
    expect(commitment).toEqual({
      alg: 'sha256',
      root: merkleRoot(records.map(eventRecordLeaf)).toString('hex'),
      tree_size: 7,
    });
    const leaf = eventRecordLeaf(records[3]!);
    expect(Buffer.from(leaf).toString('utf8')).toBe(
      '{"event":{"event":{"kind":"gaussian","noise_multiplier":1.1},' +
        '"kind":"poisson_sampled","sampling_probability":0.01},' +
        '"recorded_at":"2026-11-28T12:00:03.000Z","run_id":"run_1","sequence":4}',
    );
    const proof = inclusionProof(records.map(eventRecordLeaf), 3);
    expect(verifyInclusion(merkleLeafHash(leaf), 3, 7, proof, Buffer.from(commitment.root, 'hex'))).toBe(true);
  });

  it('changes when any record changes', () => {
    const records = sampleRecords(5);
    const base = eventLogCommitment(records).root;
    const changed = records.map((r, i) => (i === 2 ? { ...r, recorded_at: '2026-11-28T12:00:59.000Z' } : r));
    expect(eventLogCommitment(changed).root).not.toBe(base);
    expect(eventLogCommitment(records.slice(0, 4)).root).not.toBe(base);
  });
});
