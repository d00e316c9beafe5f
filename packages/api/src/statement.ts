/**
 * The signed report's payload: an in-toto Statement v1 (in-toto/attestation spec/v1/statement.md) carrying the
 * privacy-report predicate (docs/design.md "Signed report"). It travels base64 inside a DSSE envelope, so openapi.yaml
 * does not spell it out; its parts that are wire schemas (Sampler, DpEvent, Audit) are the generated types.
 */
import type { AccountantKind, Audit, DpEvent, NeighboringRelation, Sampler } from './schemas.js';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const PRIVACY_REPORT_PREDICATE_TYPE = 'https://dpledger.dev/privacy-report/v1';

/** The predicate's commitment to the event log: an RFC 9162 Merkle root over the run's event records. */
export interface MerkleCommitment {
  alg: 'sha256';
  root: string;
  tree_size: number;
}

export type NoiseRng = 'secure' | 'seeded' | 'unknown';

/** The privacy report of one closed run (docs/design.md "Signed report"); snake_case wire names. */
export interface PrivacyReportPredicate {
  run: { id: string; name: string; created_at: string; closed_at: string; metadata?: Record<string, unknown> };
  budget: { id: string; name: string; epsilon: number; delta: number; accountant: AccountantKind };
  neighboring_relation: NeighboringRelation;
  sampler: Sampler;
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
export type AuditSection = Audit;

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
