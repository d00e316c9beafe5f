/** The in-toto Statement v1 (in-toto/attestation spec/v1/statement.md) carrying the privacy-report predicate. */
import type { DpEvent, NeighboringRelation } from '@dpledger/accounting';
import type { components } from '@dpledger/accounting/openapi';
import type { MerkleCommitment } from './event-log.js';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const PRIVACY_REPORT_PREDICATE_TYPE = 'https://dpledger.dev/privacy-report/v1';

export type SamplerKind = 'poisson' | 'shuffle' | 'sampled_without_replacement' | 'fixed';
export type NoiseRng = 'secure' | 'seeded' | 'unknown';

/** The privacy report of one closed run (docs/design.md "Signed report"); snake_case wire names. */
export interface PrivacyReportPredicate {
  run: { id: string; name: string; created_at: string; closed_at: string; metadata?: Record<string, unknown> };
  budget: { id: string; name: string; epsilon: number; delta: number; accountant: 'rdp' | 'pld' };
  neighboring_relation: NeighboringRelation;
  sampler: { kind: SamplerKind; dataset_size: number; expected_batch_size: number };
  /** Present (true) when the run was created with allow_large_delta: delta is not below 1 / sampler.dataset_size. */
  allow_large_delta?: true;
  noise_rng: NoiseRng;
  /** The run's composed, run-length merged ledger. */
  ledger: DpEvent;
  event_count: number;
  /** RFC 9162 root over eventRecordLeaf(record) in sequence order. */
  merkle_root: MerkleCommitment;
  epsilon: {
    delta: number;
    rdp: { epsilon: number; order: number };
    pld: { epsilon: number; value_discretization_interval: number } | null;
  };
  budget_remaining: { epsilon: number };
  issued_at: string;
  service: { name: 'dpledger-accountant'; version: string };
  /** A one-run empirical audit of the run (docs/design.md "Empirical audit"); absent when the run had no canaries. */
  audit?: AuditSection;
}

/**
 * The one-run audit as signed (Steinke, Nasr, Jagielski 2023; Mahloujifar et al. 2024): the counts the accountant
 * itself derived from the submitted canary scores and inclusion bits, and the lower bound it computed from them.
 * The wire type (openapi.yaml `Audit`), so the service's answer and the signed section cannot drift.
 */
export type AuditSection = components['schemas']['Audit'];

export interface Subject {
  name: string;
  digest: { sha256: string };
}

export interface InTotoStatement {
  _type: typeof IN_TOTO_STATEMENT_TYPE;
  subject: Subject[];
  predicateType: typeof PRIVACY_REPORT_PREDICATE_TYPE;
  predicate: PrivacyReportPredicate;
}

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
