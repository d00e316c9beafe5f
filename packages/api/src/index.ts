/**
 * @dpledger/api: the wire contract. Types generated from openapi.yaml (`npm run gen`; CI fails when stale), the
 * signed report's statement types, and the one runtime validator of DpEvents and of report statements.
 * No dependencies: every other package builds on it.
 */
export type { components, paths, operations } from './generated/openapi.js';
export type * from './schemas.js';
export {
  dpEventProblem,
  isDpEvent,
  MAX_COUNT,
  MAX_DEPTH,
  MAX_PARAMETER,
  type DpEventProblem,
} from './dp-event-check.js';
export {
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  PRIVACY_REPORT_PREDICATE_TYPE,
  type AuditSection,
  type InTotoStatement,
  type MerkleCommitment,
  type NoiseRng,
  type PrivacyReportPredicate,
  type Subject,
} from './statement.js';
export { statementProblem } from './statement-check.js';
