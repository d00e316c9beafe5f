/** Everything the HTML and PDF renderings show, computed once from the envelope, the keys and the event log. */
import { decodeBase64Strict } from '../base64.js';
import { verifyEnvelope, type DsseEnvelope } from '../dsse.js';
import { AccountingError, assertDpEvent } from '@dpledger/accounting';
import { AuditError } from '../errors.js';
import type { EventRecord } from '../event-log.js';
import type { Jwk } from '../keys.js';
import { decodeStatement } from '../report.js';
import type { InTotoStatement, PrivacyReportPredicate } from '../statement.js';
import { computeChecks, type Check } from './checks.js';
import { epsilonCurve, type EpsilonCurve } from './epsilon-curve.js';
import { ledgerSegments, recordSegments } from './segments.js';

/** What renderReportHtml and renderReportPdf take. */
export interface ReportRenderInput {
  envelope: DsseEnvelope;
  keys: Jwk[];
  /** The run's event log; when given, the Merkle root and the sampler check are recomputed from it. */
  events?: EventRecord[];
}

export interface ComplianceModel {
  /** Signature valid and no check failed. */
  verified: boolean;
  keyid: string | null;
  statement: InTotoStatement;
  predicate: PrivacyReportPredicate;
  curve: EpsilonCurve;
  /** Where the curve came from. */
  curveSource: 'event log' | 'ledger';
  checks: Check[];
}

/** Refuses records the renderer cannot read, so a malformed log is an AuditError, never a crash. */
function assertRecords(records: readonly EventRecord[]): void {
  records.forEach((r, i) => {
    const ok =
      r !== null &&
      typeof r === 'object' &&
      Number.isSafeInteger(r.sequence) &&
      typeof r.run_id === 'string' &&
      typeof r.recorded_at === 'string';
    if (!ok) throw new AuditError('bad_event_log', `event record ${i} needs sequence, run_id, event and recorded_at`);
    try {
      assertDpEvent(r.event);
    } catch (err) {
      if (!(err instanceof AccountingError)) throw err;
      throw new AuditError('bad_event_log', `event record ${i} (sequence ${r.sequence}): ${err.message}`, {
        cause: err,
      });
    }
  });
}

/**
 * Verifies the envelope and computes the checks and the epsilon curve. A report whose signature fails is
 * still rendered (marked not verified) as long as its payload is a privacy-report statement; otherwise
 * this throws AuditError.
 * @example const model = buildComplianceModel({ envelope, keys: [jwk], events })
 */
export function buildComplianceModel(input: ReportRenderInput): ComplianceModel {
  let keyid: string | null = null;
  let signature: { ok: boolean; detail: string };
  let statement: InTotoStatement;
  try {
    const verified = verifyEnvelope(input.envelope, input.keys);
    keyid = verified.keyid;
    signature = { ok: true, detail: `verified over the DSSE PAE with trusted key ${verified.keyid}` };
    statement = decodeStatement(verified.payloadType, verified.payload);
  } catch (err) {
    if (!(err instanceof AuditError) || !['bad_signature', 'unknown_key'].includes(err.code)) throw err;
    signature = { ok: false, detail: `${err.code}: ${err.message}` };
    statement = decodeStatement(input.envelope.payloadType, decodeBase64Strict(input.envelope.payload, 'payload'));
  }
  if (input.events !== undefined) assertRecords(input.events);
  const predicate = statement.predicate;
  const curveSource = input.events !== undefined && input.events.length > 0 ? 'event log' : 'ledger';
  const segments = curveSource === 'event log' ? recordSegments(input.events!) : ledgerSegments(predicate.ledger);
  const curve = epsilonCurve(segments, predicate.neighboring_relation, predicate.epsilon.delta);
  const checks = computeChecks({
    predicate,
    signature,
    curve,
    ...(input.events === undefined ? {} : { records: input.events }),
  });
  return {
    verified: signature.ok && checks.every((c) => c.status !== 'fail'),
    keyid,
    statement,
    predicate,
    curve,
    curveSource,
    checks,
  };
}
