/** The in-toto Statement v1 of a run's report; its types live with the wire contract in @dpledger/api. */
import {
  IN_TOTO_STATEMENT_TYPE,
  PRIVACY_REPORT_PREDICATE_TYPE,
  type InTotoStatement,
  type PrivacyReportPredicate,
} from '@dpledger/api';

export {
  IN_TOTO_STATEMENT_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  PRIVACY_REPORT_PREDICATE_TYPE,
  type AuditSection,
  type InTotoStatement,
  type NoiseRng,
  type PrivacyReportPredicate,
  type SamplerKind,
  type Subject,
} from '@dpledger/api';

/**
 * The statement of a run's report: subjects are the model weights and the dataset manifest.
 * @example buildStatement({ model_digest: { sha256: m }, dataset_digest: { sha256: d }, predicate })
 */
export function buildStatement(p: {
  model_digest: { sha256: string };
  dataset_digest: { sha256: string };
  predicate: PrivacyReportPredicate;
}): InTotoStatement {
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [
      { name: 'model', digest: { sha256: p.model_digest.sha256 } },
      { name: 'dataset-manifest', digest: { sha256: p.dataset_digest.sha256 } },
    ],
    predicateType: PRIVACY_REPORT_PREDICATE_TYPE,
    predicate: p.predicate,
  };
}
