/** The one error class of @dpledger/audit. `code` is stable; messages carry ids, never key material. */
export type AuditErrorCode =
  | 'bad_signature' // no signature verifies under the given keys
  | 'unknown_key' // no given key matches any signature's key id, and none verifies
  | 'bad_envelope' // not a DSSE envelope: shape, empty signatures, malformed base64
  | 'bad_payload' // the signed payload is not the expected type or not JSON
  | 'bad_statement' // the payload is not an in-toto Statement v1 with a privacy-report predicate
  | 'bad_proof' // a Merkle proof or tree argument is malformed
  | 'bad_key' // a key that is not an Ed25519 JWK / PKCS#8 key
  | 'bad_event_log' // event records that are not {sequence, run_id, event: DpEvent, recorded_at}
  | 'bad_audit'; // one-run audit inputs out of range (counts, significance, delta, scores)

export class AuditError extends Error {
  override readonly name = 'AuditError';
  readonly code: AuditErrorCode;

  constructor(code: AuditErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
