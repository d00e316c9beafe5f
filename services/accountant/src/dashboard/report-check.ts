/** The dashboard's verdict on a stored report: the DSSE signature against the service's keys, and the event log. */
import { eventLogCommitment, verifyReport } from '@dpledger/audit';
import type { ReportCheck, ReportFacts } from './pages.js';
import type { DashboardEnvelope, DashboardEventRecord, DashboardJwk } from './source.js';

/**
 * Verifies `envelope` with @dpledger/audit against `keys`, recomputes the RFC 9162 Merkle root over `records`
 * and compares it with the signed one, and extracts the facts shown beside the downloads.
 * @example checkReport(envelope, keys, records).check.state // 'verified'
 */
export function checkReport(
  envelope: DashboardEnvelope,
  keys: DashboardJwk[],
  records: DashboardEventRecord[],
): { check: ReportCheck; facts: ReportFacts } {
  let verified: ReturnType<typeof verifyReport>;
  try {
    verified = verifyReport(envelope, keys as Parameters<typeof verifyReport>[1]);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { check: { state: 'failed', reason: typeof code === 'string' ? code : 'invalid report' }, facts: {} };
  }
  const { predicate, statement, keyid } = verified;
  const log = eventLogCommitment(records);
  const merkle = log.root === predicate.merkle_root.root && log.tree_size === predicate.merkle_root.tree_size ? 'match' : 'mismatch';
  const digest = (name: string): string | undefined => statement.subject.find((s) => s.name === name)?.digest['sha256'];
  return {
    check: { state: 'verified', keyid, merkle },
    facts: {
      epsilonRdp: predicate.epsilon.rdp.epsilon,
      rdpOrder: predicate.epsilon.rdp.order,
      epsilonPld: predicate.epsilon.pld === null ? null : predicate.epsilon.pld.epsilon,
      delta: predicate.epsilon.delta,
      modelSha256: digest('model'),
      datasetSha256: digest('dataset-manifest'),
      issuedAt: predicate.issued_at,
    },
  };
}
