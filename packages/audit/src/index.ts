/**
 * @dpledger/audit: the signed privacy report of a training run. RFC 8785 canonical JSON, RFC 9162 Merkle log
 * of event records, in-toto Statement v1 in a DSSE envelope signed with Ed25519, keys as JWKs, and the
 * compliance report (HTML and PDF) a reviewer reads.
 */
export { AuditError, type AuditErrorCode } from './errors.js';
export { canonicalJson } from './canonical-json.js';
export { sha256Hex } from './digest.js';
export { decodeBase64Strict } from './base64.js';
export { merkleLeafHash, merkleNodeHash, merkleRoot, inclusionProof, verifyInclusion } from './merkle.js';
export {
  appendToFrontier,
  frontierOf,
  inclusionFromNodes,
  rootFromNodes,
  type MerkleNodeReader,
  type MerkleNodeRef,
} from './merkle-frontier.js';
export {
  eventRecordLeaf,
  eventLogCommitment,
  inSequenceOrder,
  type EventRecord,
  type MerkleCommitment,
} from './event-log.js';
export {
  generateSigningKey,
  exportSigningKey,
  importSigningKey,
  jwkThumbprint,
  assertJwk,
  publicKeyFromJwk,
  type Jwk,
  type SigningKey,
} from './keys.js';
export { pae, signEnvelope, verifyEnvelope, type DsseEnvelope, type VerifiedEnvelope } from './dsse.js';
export {
  PRIVACY_REPORT_PREDICATE_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  buildStatement,
  type PrivacyReportPredicate,
  type AuditSection,
  type InTotoStatement,
  type Subject,
  type SamplerKind,
  type NoiseRng,
} from './statement.js';
export { assertStatement } from './statement-check.js';
export { signReport, verifyReport, decodeStatement, type VerifiedReport } from './report.js';
export { renderReportHtml } from './compliance/html.js';
export { renderReportPdf } from './compliance/pdf.js';
export { buildComplianceModel, type ReportRenderInput, type ComplianceModel } from './compliance/model.js';
export {
  computeChecks,
  epsilonCaveat,
  SEEDED_EPSILON_CAVEAT,
  type Check,
  type CheckStatus,
} from './compliance/checks.js';
export { epsilonCurve, type EpsilonCurve } from './compliance/epsilon-curve.js';
export { escapeHtml } from './compliance/escape-html.js';
export * from './one-run/index.js';
