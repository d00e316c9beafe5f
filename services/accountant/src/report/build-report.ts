/** Builds and signs the report of a closed run (docs/design.md "Signed report"; predicate per @dpledger/audit). */
import {
  buildStatement,
  signReport,
  type DsseEnvelope,
  type MerkleCommitment,
  type PrivacyReportPredicate,
  type SigningKey,
} from '@dpledger/audit';
import { AccountingError, type DpEvent } from '@dpledger/accounting';
import { PLD_INTERVAL } from '../ledger/pld-epsilon.js';
import type { Meters } from '../ledger/meters.js';
import type { BudgetRow, RunRow } from '../store/store.js';

export const SERVICE_NAME = 'dpledger-accountant';

export interface ReportInput {
  run: RunRow;
  budget: BudgetRow;
  /** The RFC 9162 commitment to the run's records (merkle-proof.ts `runCommitment`). */
  merkle: MerkleCommitment;
  meters: Meters;
  key: SigningKey;
  issuedAt: string;
  version: string;
}

/**
 * The predicate of a closed run: its merged ledger, epsilon by RDP (with order) and PLD, Merkle root.
 * @example const envelope = signRunReport({ run, budget, merkle, meters, key, issuedAt, version })
 */
export function buildPredicate(p: Omit<ReportInput, 'key'>): PrivacyReportPredicate {
  const { run, budget } = p;
  const ledger: DpEvent = { kind: 'composed', events: run.ledger };
  const rdp = p.meters.rdp(budget.neighboring_relation).epsilon(run.rdp, budget.delta);
  const pld = pldOrNull(() => p.meters.pldEpsilon(budget.neighboring_relation, run.ledger, budget.delta));
  return {
    run: {
      id: run.id,
      name: run.name,
      created_at: run.created_at,
      closed_at: run.closed_at ?? p.issuedAt,
      ...(run.metadata ? { metadata: run.metadata } : {}),
    },
    budget: {
      id: budget.id,
      name: budget.name,
      epsilon: budget.epsilon,
      delta: budget.delta,
      accountant: budget.accountant,
    },
    neighboring_relation: budget.neighboring_relation,
    sampler: run.sampler,
    ...(run.allow_large_delta === true ? { allow_large_delta: true as const } : {}),
    noise_rng: run.noise_rng ?? 'unknown',
    ledger,
    event_count: run.event_count,
    merkle_root: p.merkle,
    epsilon: {
      delta: budget.delta,
      rdp: { epsilon: rdp.epsilon, order: rdp.order },
      pld: pld !== null && Number.isFinite(pld) ? { epsilon: pld, value_discretization_interval: PLD_INTERVAL } : null,
    },
    budget_remaining: { epsilon: Math.max(0, budget.epsilon - budget.epsilon_reserved) },
    issued_at: p.issuedAt,
    service: { name: SERVICE_NAME, version: p.version },
    ...(run.audit !== undefined ? { audit: run.audit } : {}),
  };
}

/** The PLD figure, or null when the PLD accountant cannot analyse the ledger (the report says so). */
function pldOrNull(fn: () => number): number | null {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AccountingError) return null;
    throw err;
  }
}

/** The signed DSSE envelope of a closed run. */
export function signRunReport(p: ReportInput): DsseEnvelope {
  // internal assertion: closeRun stores both digests (the close request requires them), and only a closed run signs
  const { model_digest, dataset_digest } = p.run;
  if (model_digest === undefined || dataset_digest === undefined) throw new Error(`run ${p.run.id} has no digests`);
  const statement = buildStatement({ model_digest, dataset_digest, predicate: buildPredicate(p) });
  return signReport(statement, p.key);
}
