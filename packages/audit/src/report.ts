/** Signed privacy reports: an in-toto statement in a DSSE envelope, signed with Ed25519. */
import { canonicalJson } from './canonical-json.js';
import { signEnvelope, verifyEnvelope, type DsseEnvelope } from './dsse.js';
import { AuditError } from './errors.js';
import type { Jwk, SigningKey } from './keys.js';
import { assertStatement } from './statement-check.js';
import { IN_TOTO_PAYLOAD_TYPE, type InTotoStatement, type PrivacyReportPredicate } from './statement.js';

/** A report whose signature verified under a trusted key. */
export interface VerifiedReport {
  statement: InTotoStatement;
  predicate: PrivacyReportPredicate;
  /** The kid of the trusted key that verified the signature. */
  keyid: string;
}

/**
 * Signs a statement: the payload is its RFC 8785 canonical JSON, so the same statement always signs the same bytes.
 * @example const envelope = signReport(buildStatement({ model_digest, dataset_digest, predicate }), key)
 */
export function signReport(statement: InTotoStatement, key: SigningKey): DsseEnvelope {
  return signEnvelope(Buffer.from(canonicalJson(assertStatement(statement)), 'utf8'), IN_TOTO_PAYLOAD_TYPE, key);
}

/**
 * Parses a payload as an in-toto statement (no signature check); throws 'bad_payload' / 'bad_statement'.
 * @example const statement = decodeStatement(verified.payloadType, verified.payload)
 */
export function decodeStatement(payloadType: string, payload: Buffer): InTotoStatement {
  // DSSE protocol.md: reject an unsupported payload type, then parse the body by it.
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE)
    throw new AuditError('bad_payload', `payloadType ${JSON.stringify(payloadType)} is not ${IN_TOTO_PAYLOAD_TYPE}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (err) {
    throw new AuditError('bad_payload', 'the payload is not UTF-8 JSON', { cause: err });
  }
  return assertStatement(parsed);
}

/**
 * Verifies a report envelope against trusted keys and returns its statement. Throws AuditError
 * (bad_envelope, bad_key, unknown_key, bad_signature, bad_payload, bad_statement).
 * @example const { predicate, keyid } = verifyReport(JSON.parse(fs.readFileSync('report.json', 'utf8')), [jwk])
 */
export function verifyReport(envelope: unknown, keys: Jwk | Jwk[]): VerifiedReport {
  const { payload, payloadType, keyid } = verifyEnvelope(envelope, keys);
  const statement = decodeStatement(payloadType, payload);
  return { statement, predicate: statement.predicate, keyid };
}
