/** The checks table of the compliance report: what a reviewer can re-verify from the report and the event log. */
import { formatEpsilon, tightestEpsilon, type TightestEpsilon } from '@dpledger/accounting';
import { eventLogCommitment, type EventRecord } from '../event-log.js';
import { oneRunEpsilonLowerBound } from '../one-run/index.js';
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
    const detail = `declared sampler '${p.sampler.kind}' but the ledger claims amplification by ${wrong.join(', ')}`;
    return { name, status: 'fail', detail };
  }
  if (p.sampler.kind === 'shuffle') {
    // per-step 2C holds only with n fixed (replace_one); under add_or_remove_one neighbouring epochs misalign
    // (Chua et al. 2024)
    return p.neighboring_relation === 'replace_one'
      ? {
          name,
          status: 'pass',
          detail:
            'shuffle sampler, accounted under replace_one: each step a Gaussian at the replace-one sensitivity 2C, ' +
            'no amplification by sampling claimed',
        }
      : {
          name,
          status: 'fail',
          detail:
            'shuffle sampler under add_or_remove_one: the per-step bound holds only under replace_one (the epochs of ' +
            'neighbouring datasets misalign)',
        };
  }
  if (p.sampler.kind === 'poisson') {
    // docs/design.md "DpEvent": q = expected batch / dataset size
    const q = p.sampler.expected_batch_size / p.sampler.dataset_size;
    const qs = poissonProbabilities(p.ledger);
    records?.forEach((r) => poissonProbabilities(r.event, qs));
    const off = qs.filter((x) => Math.abs(x - q) > 1e-9 * Math.max(1, q));
    if (off.length > 0) {
      const declared = `${q} (${p.sampler.expected_batch_size} / ${p.sampler.dataset_size})`;
      const detail = `poisson_sampled with q = ${off[0]}, but the sampler declares q = ${declared}`;
      return { name, status: 'fail', detail };
    }
    if (qs.length > 0) return { name, status: 'pass', detail: `Poisson sampling, q = ${q} as declared` };
    const none = 'Poisson sampler declared, but no poisson_sampled event was logged (no amplification claimed)';
    return { name, status: 'warn', detail: none };
  }
  const claims = claimed.length > 0 ? claimed.join(', ') : 'no amplification by sampling';
  return { name, status: 'pass', detail: `'${p.sampler.kind}' sampler; the ledger claims ${claims}` };
}

function merkleCheck(p: PrivacyReportPredicate, records: readonly EventRecord[] | undefined): Check {
  const name = 'Merkle root recomputed from the event log';
  if (records === undefined) {
    return { name, status: 'skip', detail: 'no event log supplied; the root is signed but was not recomputed here' };
  }
  const ours = eventLogCommitment(records);
  const ok = ours.root === p.merkle_root.root && ours.tree_size === p.merkle_root.tree_size;
  return ok
    ? { name, status: 'pass', detail: `RFC 9162 root over ${ours.tree_size} records matches ${p.merkle_root.root}` }
    : {
        name,
        status: 'fail',
        detail:
          `recomputed ${ours.root} over ${ours.tree_size} records; ` +
          `the report signs ${p.merkle_root.root} over ${p.merkle_root.tree_size}`,
      };
}

function epsilonCheck(p: PrivacyReportPredicate, curve: EpsilonCurve): Check {
  const name = 'RDP epsilon recomputed from the ledger';
  if (curve.unavailable !== null) return { name, status: 'skip', detail: curve.unavailable };
  const ours = curve.points.at(-1)?.[1] ?? 0;
  const theirs = p.epsilon.rdp.epsilon;
  const close = Math.abs(ours - theirs) <= 1e-6 * Math.max(1, theirs);
  if (close) return { name, status: 'pass', detail: `${fmtUp(ours)} at delta ${p.epsilon.delta}` };
  const why = '(different RDP orders or accountant version?)';
  return { name, status: 'warn', detail: `recomputed ${fmtUp(ours)}, the report says ${fmtUp(theirs)} ${why}` };
}

/**
 * The one-run audit: the signed lower bound is recomputed from the signed counts, and it must not exceed the
 * run's epsilon (a correct implementation exceeds it with probability at most the significance).
 */
function auditCheck(p: PrivacyReportPredicate): Check {
  const name = 'Empirical audit: epsilon_lower <= epsilon';
  const a = p.audit;
  if (a === undefined) return { name, status: 'skip', detail: 'the run was not audited with canaries' };
  let ours: number;
  try {
    ours = oneRunEpsilonLowerBound({
      canaries: a.canaries,
      guesses: a.guesses,
      correct: a.correct,
      significance: a.test_significance,
      delta: a.delta,
      method: a.method,
    });
  } catch (err) {
    return { name, status: 'fail', detail: `the signed audit counts are not valid: ${(err as Error).message}` };
  }
  if (Math.abs(ours - a.epsilon_lower) > 1e-6 * Math.max(1, ours)) {
    const detail =
      `recomputed epsilon_lower ${fmtDown(ours)} from the signed counts, ` +
      `the report says ${fmtDown(a.epsilon_lower)}`;
    return { name, status: 'fail', detail };
  }
  const eps = chargedEpsilon(p);
  const detail =
    `${a.correct} of ${a.guesses} guesses right on ${a.canaries} ${a.canary_kind} canaries ` +
    `(${a.method}, ${a.selection}): ` +
    `epsilon_lower ${fmtDown(ours)} at ${fmt(100 * a.confidence)}% confidence, run epsilon ${fmtUp(eps)}`;
  if (ours <= eps) return { name, status: 'pass', detail };
  const exceeds =
    'the measured privacy loss EXCEEDS the claimed epsilon; the noise or clipping did not do what was logged';
  return { name, status: 'fail', detail: `${detail}: ${exceeds}` };
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
 * Numbers for people that are not a privacy loss (q, sigma, 1/n): 4 significant digits, to nearest.
 * @example fmt(1.23456789) // '1.235'
 */
export function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : Number(x.toPrecision(4)).toString();
}

/** The caveat every epsilon of a seeded run carries (the trainer prints the same words). */
export const SEEDED_EPSILON_CAVEAT = 'seeded run: holds only while the seed stays secret';

/**
 * The caveat to print next to this report's epsilon, or null for a run with secure randomness.
 * @example epsilonCaveat({ ...predicate, noise_rng: 'seeded' }) // 'seeded run: holds only while the seed stays secret'
 */
export function epsilonCaveat(p: Pick<PrivacyReportPredicate, 'noise_rng'>): string | null {
  return p.noise_rng === 'seeded' ? SEEDED_EPSILON_CAVEAT : null;
}

/**
 * An epsilon spent (or e^epsilon) for people: 4 significant digits, rounded UP, never below the true figure.
 * @example fmtUp(2.99981) // '3'
 */
export function fmtUp(x: number): string {
  return formatEpsilon(x, { significant: 4 });
}

/**
 * A remaining budget or a measured lower bound for people: 4 significant digits, rounded DOWN, never above what is
 * left or what was measured.
 * @example fmtDown(0.79519) // '0.7951'
 */
export function fmtDown(x: number): string {
  return formatEpsilon(x, { significant: 4, direction: 'down' });
}

/**
 * The delta-versus-1/n check: pass below 1/n; with the run's explicit override a warning that says so; else fail.
 * @example deltaCheck(predicate).status // 'pass'
 */
function deltaCheck(p: PrivacyReportPredicate): Check {
  const name = 'delta < 1 / dataset size';
  const invDataset = 1 / p.sampler.dataset_size;
  const facts = `delta = ${p.epsilon.delta}, 1/n = ${fmt(invDataset)} (n = ${p.sampler.dataset_size})`;
  if (p.epsilon.delta < invDataset) return { name, status: 'pass', detail: `${facts}` };
  const risk = 'a delta this large is met by a mechanism that publishes whole records';
  if (p.allow_large_delta === true) {
    const override = 'NOT below 1/n, accepted by an explicit override (allow_large_delta) when the run was created';
    return { name, status: 'warn', detail: `${facts}: ${override}; ${risk}` };
  }
  return { name, status: 'fail', detail: `${facts}: not below 1/n; ${risk}` };
}

/**
 * Every check of the report, in reading order.
 * @example computeChecks({ predicate, signature: { ok: true, detail: 'verified with key abc' }, curve })
 */
export function computeChecks(input: {
  predicate: PrivacyReportPredicate;
  signature: { ok: boolean; detail: string };
  records?: readonly EventRecord[];
  curve: EpsilonCurve;
}): Check[] {
  const { predicate: p, signature, records, curve } = input;
  const spent = p.budget.epsilon - p.budget_remaining.epsilon;
  const countsAgree =
    p.event_count === p.merkle_root.tree_size && (records === undefined || records.length === p.event_count);
  return [
    { name: 'Signature (DSSE, Ed25519)', status: signature.ok ? 'pass' : 'fail', detail: signature.detail },
    merkleCheck(p, records),
    {
      name: 'Event count',
      status: countsAgree ? 'pass' : 'fail',
      detail:
        `${p.event_count} events reported, ${p.merkle_root.tree_size} leaves committed` +
        (records === undefined ? '' : `, ${records.length} records supplied`),
    },
    samplerCheck(p, records),
    deltaCheck(p),
    {
      name: 'Secure randomness',
      status: p.noise_rng === 'secure' ? 'pass' : 'warn',
      detail:
        p.noise_rng === 'secure'
          ? 'noise and sampling drew from the platform CSPRNG (node:crypto / Web Crypto)'
          : p.noise_rng === 'seeded'
            ? `${SEEDED_EPSILON_CAVEAT}: noise and sampling came from a ChaCha20 stream keyed by the seed, ` +
              'so anyone who knows the seed can recompute and remove the noise'
            : 'the randomness source was not reported',
    },
    epsilonCheck(p, curve),
    auditCheck(p),
    {
      name: 'Within budget',
      status: chargedEpsilon(p) <= p.budget.epsilon && p.budget_remaining.epsilon >= 0 ? 'pass' : 'fail',
      detail:
        `this run epsilon ${fmtUp(chargedEpsilon(p))} (${p.budget.accountant.toUpperCase()}); ` +
        `budget '${p.budget.name}' limit ${p.budget.epsilon}, ` +
        `used (spent or reserved) by all its runs ${fmtUp(spent)}, ` +
        `remaining ${fmtDown(p.budget_remaining.epsilon)}`,
    },
  ];
}
