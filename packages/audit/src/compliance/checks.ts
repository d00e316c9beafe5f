/** The checks table of the compliance report: what a reviewer can re-verify from the report and the event log. */
import { tightestEpsilon, type TightestEpsilon } from '@dpledger/accounting';
import { eventLogCommitment, type EventRecord } from '../event-log.js';
import type { PrivacyReportPredicate, SamplerKind } from '../statement.js';
import type { EpsilonCurve } from './epsilon-curve.js';
import { kindsIn, poissonProbabilities } from './segments.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

/** Sampling events each declared sampler may log: only Poisson sampling may claim poisson_sampled amplification. */
const ALLOWED_SAMPLING: Record<SamplerKind, string[]> = {
  poisson: ['poisson_sampled'],
  sampled_without_replacement: ['sampled_without_replacement'],
  shuffle: [],
  fixed: [],
};
const SAMPLING_KINDS = ['poisson_sampled', 'sampled_without_replacement'];

function samplerCheck(p: PrivacyReportPredicate, records: readonly EventRecord[] | undefined): Check {
  const name = 'Logged events match the declared sampler';
  const kinds = kindsIn(p.ledger);
  records?.forEach((r) => kindsIn(r.event, kinds));
  const claimed = SAMPLING_KINDS.filter((k) => kinds.has(k));
  const wrong = claimed.filter((k) => !ALLOWED_SAMPLING[p.sampler.kind].includes(k));
  if (wrong.length > 0) {
    return { name, status: 'fail', detail: `declared sampler '${p.sampler.kind}' but the ledger claims amplification by ${wrong.join(', ')}` };
  }
  if (p.sampler.kind === 'poisson') {
    const q = p.sampler.expected_batch_size / p.sampler.dataset_size; // DESIGN.md: q = expected batch / dataset size
    const qs = poissonProbabilities(p.ledger);
    records?.forEach((r) => poissonProbabilities(r.event, qs));
    const off = qs.filter((x) => Math.abs(x - q) > 1e-9 * Math.max(1, q));
    if (off.length > 0) return { name, status: 'fail', detail: `poisson_sampled with q = ${off[0]}, but the sampler declares q = ${q} (${p.sampler.expected_batch_size} / ${p.sampler.dataset_size})` };
    return { name, status: qs.length > 0 ? 'pass' : 'warn', detail: qs.length > 0 ? `Poisson sampling, q = ${q} as declared` : 'Poisson sampler declared, but no poisson_sampled event was logged (no amplification claimed)' };
  }
  return { name, status: 'pass', detail: `'${p.sampler.kind}' sampler; the ledger claims ${claimed.length > 0 ? claimed.join(', ') : 'no amplification by sampling'}` };
}

function merkleCheck(p: PrivacyReportPredicate, records: readonly EventRecord[] | undefined): Check {
  const name = 'Merkle root recomputed from the event log';
  if (records === undefined) return { name, status: 'skip', detail: 'no event log supplied; the root is signed but was not recomputed here' };
  const ours = eventLogCommitment(records);
  const ok = ours.root === p.merkle_root.root && ours.tree_size === p.merkle_root.tree_size;
  return ok
    ? { name, status: 'pass', detail: `RFC 9162 root over ${ours.tree_size} records matches ${p.merkle_root.root}` }
    : { name, status: 'fail', detail: `recomputed ${ours.root} over ${ours.tree_size} records; the report signs ${p.merkle_root.root} over ${p.merkle_root.tree_size}` };
}

function epsilonCheck(p: PrivacyReportPredicate, curve: EpsilonCurve): Check {
  const name = 'RDP epsilon recomputed from the ledger';
  if (curve.unavailable !== null) return { name, status: 'skip', detail: curve.unavailable };
  const ours = curve.points.at(-1)?.[1] ?? 0;
  const theirs = p.epsilon.rdp.epsilon;
  const close = Math.abs(ours - theirs) <= 1e-6 * Math.max(1, theirs);
  return { name, status: close ? 'pass' : 'warn', detail: close ? `${fmt(ours)} at delta ${p.epsilon.delta}` : `recomputed ${fmt(ours)}, the report says ${fmt(theirs)} (different RDP orders or accountant version?)` };
}

/**
 * The epsilon the report states: the smaller of the valid bounds it carries (RDP, and PLD when computed), and
 * which accountant gave it.
 * @example reportedEpsilon(predicate) // { epsilon: 0.88, accountant: 'pld' } when PLD says 0.88 and RDP 0.93
 */
export function reportedEpsilon(p: PrivacyReportPredicate): TightestEpsilon {
  return tightestEpsilon({ rdp: p.epsilon.rdp.epsilon, pld: p.epsilon.pld?.epsilon ?? null });
}

/**
 * The epsilon the budget is charged in: a 'pld' budget is charged the smaller of the PLD and RDP bounds (as the
 * service's budget check does), an 'rdp' budget the RDP bound.
 * @example chargedEpsilon(predicate) // predicate.epsilon.rdp.epsilon for an 'rdp' budget
 */
export function chargedEpsilon(p: PrivacyReportPredicate): number {
  return p.budget.accountant === 'pld' ? reportedEpsilon(p).epsilon : p.epsilon.rdp.epsilon;
}

/**
 * Numbers for people: 4 significant digits.
 * @example fmt(1.23456789) // '1.235'
 */
export function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : Number(x.toPrecision(4)).toString();
}

/**
 * Every check of the report, in reading order.
 * @example computeChecks({ predicate, signature: { ok: true, detail: 'verified with key abc' }, curve })
 */
export function computeChecks(input: { predicate: PrivacyReportPredicate; signature: { ok: boolean; detail: string }; records?: readonly EventRecord[]; curve: EpsilonCurve }): Check[] {
  const { predicate: p, signature, records, curve } = input;
  const invDataset = 1 / p.sampler.dataset_size;
  const spent = p.budget.epsilon - p.budget_remaining.epsilon;
  return [
    { name: 'Signature (DSSE, Ed25519)', status: signature.ok ? 'pass' : 'fail', detail: signature.detail },
    merkleCheck(p, records),
    {
      name: 'Event count',
      status: p.event_count === p.merkle_root.tree_size && (records === undefined || records.length === p.event_count) ? 'pass' : 'fail',
      detail: `${p.event_count} events reported, ${p.merkle_root.tree_size} leaves committed${records === undefined ? '' : `, ${records.length} records supplied`}`,
    },
    samplerCheck(p, records),
    {
      name: 'delta < 1 / dataset size',
      status: p.epsilon.delta < invDataset ? 'pass' : 'fail',
      detail: `delta = ${p.epsilon.delta}, 1/n = ${fmt(invDataset)} (n = ${p.sampler.dataset_size}); a larger delta allows releasing a whole record`,
    },
    {
      name: 'Secure randomness',
      status: p.noise_rng === 'secure' ? 'pass' : 'warn',
      detail: p.noise_rng === 'secure' ? 'noise and sampling drew from node:crypto' : p.noise_rng === 'seeded' ? 'seeded generator: reproducible, but predictable noise weakens the guarantee' : 'the randomness source was not reported',
    },
    epsilonCheck(p, curve),
    {
      name: 'Within budget',
      status: chargedEpsilon(p) <= p.budget.epsilon && p.budget_remaining.epsilon >= 0 ? 'pass' : 'fail',
      detail: `this run epsilon ${fmt(chargedEpsilon(p))} (${p.budget.accountant.toUpperCase()}); budget '${p.budget.name}' limit ${p.budget.epsilon}, used (spent or reserved) by all its runs ${fmt(spent)}, remaining ${fmt(p.budget_remaining.epsilon)}`,
    },
  ];
}
