/**
 * The compliance report as a list of blocks (headings, paragraphs, tables, a budget bar, the plot), so the
 * HTML page and the PDF say exactly the same things.
 */
import { withCount } from '@dpledger/accounting';
import { epsilonCaveat, fmt, fmtDown, fmtUp, reportedEpsilon, type CheckStatus } from './checks.js';
import { describeEvent } from './describe-event.js';
import type { ComplianceModel } from './model.js';
import { ledgerSegments } from './segments.js';

export type Block =
  | { kind: 'title'; text: string; verified: boolean; verdict: string }
  | { kind: 'heading'; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'table'; head: string[]; rows: string[][]; status?: CheckStatus[] }
  | { kind: 'bar'; label: string; value: number; limit: number }
  | { kind: 'plot'; caption: string };

const RELATION_WORDS = {
  add_or_remove_one: 'adding or removing any one record',
  replace_one: 'replacing any one record with any other',
} as const;

/** Where the project states its threat model; the report names it (HTML and PDF). */
export const PRIVACY_MODEL_DOC = 'docs/privacy-model.md';

/** The paragraph on the threat model behind the figures (HTML and PDF); the full page is PRIVACY_MODEL_DOC. */
export function threatModel(p: {
  sampler: { kind: string };
  neighboring_relation: keyof typeof RELATION_WORDS;
  noise_rng: string;
}): string {
  return (
    `Threat model (stated in full in ${PRIVACY_MODEL_DOC} of dpledger): the dataset size n, the hyper-parameters ` +
    `(clip norm, noise multiplier, sampling rate, steps), the model architecture and this report are public; what is ` +
    `released is the final model (and any noised update the trainer published). The un-noised training loss and the ` +
    `realised batch sizes are private: dpledger keeps them on the training machine and they are not covered by ε. ` +
    `Neighbouring datasets differ by ${RELATION_WORDS[p.neighboring_relation]} (${p.neighboring_relation}; the ` +
    `'${p.sampler.kind}' sampler). ` +
    (p.noise_rng === 'seeded'
      ? 'This run used SEEDED randomness: the guarantee holds only while the seed stays secret.'
      : p.noise_rng === 'secure'
        ? 'Sampling and noise came from the platform CSPRNG (secure mode).'
        : 'The randomness source was not reported.')
  );
}

/** The paragraph on what the report does not prove (HTML and PDF). */
export const NOT_PROVEN =
  'This report proves that the accountant holding the signing key logged these mechanism invocations for this run, ' +
  'that their composition gives the epsilon and delta stated, and that the report has not changed since it was ' +
  'signed. It does NOT prove that the training code did what it logged: that noise of the stated scale was really ' +
  'added, that per-example gradients were clipped, that batches were drawn by the declared sampler, or that the ' +
  'model with this digest came out of this run; those rest on trust in the trainer and its randomness. An empirical ' +
  'audit, when present, is measured evidence against gross failures (noise far too small, clipping off) but only a ' +
  'lower bound: passing it does not prove the accounted epsilon. It does not cover information released outside the ' +
  'logged mechanisms (hyper-parameter search on the same data, data-dependent preprocessing, evaluation on training ' +
  'data), it protects records rather than people who contribute several records, and it says nothing about ' +
  "the model's accuracy, fairness or fitness for use, nor about whether the data was lawfully collected.";

/**
 * The blocks of the report, in reading order.
 * @example reportContent(buildComplianceModel({ envelope, keys })).find((b) => b.kind === 'title')
 */
export function reportContent(m: ComplianceModel): Block[] {
  const p = m.predicate;
  const { epsilon: eps, accountant } = reportedEpsilon(p);
  const delta = p.epsilon.delta;
  const n = p.sampler.dataset_size;
  const q = p.sampler.expected_batch_size / n;
  const spent = p.budget.epsilon - p.budget_remaining.epsilon;
  const metadata = Object.entries(p.run.metadata ?? {});
  const failed = m.checks.filter((c) => c.status === 'fail').map((c) => c.name);
  const caveat = epsilonCaveat(p);
  const note = caveat === null ? '' : ` (${caveat})`; // every epsilon of a seeded run carries it
  return [
    {
      kind: 'title',
      text: `Privacy report: ${p.run.name}`,
      verified: m.verified,
      verdict: m.verified ? `Verified: signed by key ${m.keyid}` : `NOT VERIFIED: ${failed.join('; ') || 'signature'}`,
    },
    { kind: 'heading', text: 'The guarantee' },
    {
      kind: 'paragraph',
      text:
        `This model was trained with (ε = ${fmtUp(eps)}, δ = ${delta})-differential privacy (ε rounded up, by ` +
        `${accountant.toUpperCase()}${p.epsilon.pld === null ? '' : ', the smaller of the RDP and PLD bounds'}` +
        `)${note}. In plain words: ${RELATION_WORDS[p.neighboring_relation]} of the training data changes the ` +
        `probability of any outcome of training (the model, or anything computed from it) by at most a factor e^ε ≤ ` +
        `${fmtUp(Math.exp(eps))}, except with probability at most δ = ${delta}.`,
    },
    ...(caveat === null
      ? []
      : [
          {
            kind: 'paragraph' as const,
            text:
              'This was a SEEDED run: its noise and its batches came from a ChaCha20 stream keyed by a seed ' +
              'chosen for reproducibility, not from fresh secure randomness. The guarantee above holds only while ' +
              'the seed stays secret: anyone who knows the seed can recompute the noise and remove it, and then the ' +
              'model reveals its training data as if no noise had been added.',
          },
        ]),
    ...(p.allow_large_delta === true || !(delta < 1 / n)
      ? [
          {
            kind: 'paragraph' as const,
            text:
              `WARNING: δ = ${delta} is not below 1/n = ${fmt(1 / n)}: a mechanism that publishes whole records with ` +
              `probability δ meets this guarantee. ` +
              (p.allow_large_delta === true
                ? 'The run was created with an explicit override (allow_large_delta) that accepted this delta.'
                : 'The run did not declare an override for it.'),
          },
        ]
      : []),
    {
      kind: 'paragraph',
      text:
        `"One record" here is one training example: one of the ${n.toLocaleString('en-US')} rows of the dataset. A ` +
        `person who contributes k records is protected at about k·ε (group privacy), not ε. The dataset size n = ` +
        `${n.toLocaleString('en-US')} is public: the guarantee does not hide it (it sets the sampling rate q and the ` +
        `trainer's round-off margin).` +
        (p.sampler.kind === 'shuffle'
          ? ` Batches were drawn by shuffling (fixed-size batches of each epoch's permutation), accounted under ` +
            `${p.neighboring_relation} with no amplification by sampling: each step is a Gaussian at the replace-one ` +
            'sensitivity 2C.'
          : ''),
    },
    { kind: 'heading', text: 'Budget' },
    {
      kind: 'bar',
      label:
        `Budget '${p.budget.name}': ε ${fmtUp(spent)} spent of ${p.budget.epsilon} (δ = ${p.budget.delta}); ` +
        `${fmtDown(p.budget_remaining.epsilon)} remains. This run: ε ${fmtUp(eps)}${note}.`,
      value: spent,
      limit: p.budget.epsilon,
    },
    { kind: 'heading', text: 'Epsilon' },
    {
      kind: 'table',
      head: ['Accountant', `ε at δ = ${delta} (rounded up)`, 'Detail'],
      rows: [
        ['RDP (Rényi DP)', `${fmtUp(p.epsilon.rdp.epsilon)}${note}`, `attained at order α = ${p.epsilon.rdp.order}`],
        p.epsilon.pld === null
          ? ['PLD (privacy loss distribution)', 'not computed', '']
          : [
              'PLD (privacy loss distribution)',
              `${fmtUp(p.epsilon.pld.epsilon)}${note}`,
              `value discretization interval ${p.epsilon.pld.value_discretization_interval}`,
            ],
      ],
    },
    p.audit === undefined
      ? {
          kind: 'paragraph',
          text:
            'Empirical audit: none. The run was trained without canaries, so nothing measured here checks that the ' +
            'noise was added at the logged scale.',
        }
      : {
          kind: 'table',
          head: ['Empirical audit (one run)', 'Value', 'Detail'],
          rows: [
            [
              'ε lower bound (measured)',
              fmtDown(p.audit.epsilon_lower),
              `${fmt(100 * p.audit.confidence)}% confidence, ` +
                (p.audit.method === 'steinke2023' ? 'Steinke, Nasr, Jagielski 2023' : 'Mahloujifar et al. 2024 (f-DP)'),
            ],
            [
              'ε upper bound (accounted)',
              fmtUp(eps),
              `${accountant.toUpperCase()}, δ = ${delta}` +
                (p.epsilon.pld === null ? '' : ' (the smaller of the RDP and PLD bounds)'),
            ],
            [
              'Canaries',
              `${p.audit.canaries} (${p.audit.canary_kind})`,
              'each included independently with probability 1/2; inclusion kept secret until the run closed',
            ],
            [
              'Guesses',
              `${p.audit.correct} right of ${p.audit.guesses}`,
              `k+ = ${p.audit.k_plus}, k- = ${p.audit.k_minus}; ` +
                `chosen by ${p.audit.selection} over ${p.audit.hypotheses} hypotheses`,
            ],
          ],
        },
    {
      kind: 'plot',
      caption:
        m.curve.unavailable !== null
          ? `No epsilon-versus-step curve: ${m.curve.unavailable}`
          : `ε (RDP, δ = ${delta}) after each step, recomputed from the ${m.curveSource} ` +
            `(${m.curve.totalSteps.toLocaleString('en-US')} steps); dashed: the budget limit.`,
    },
    { kind: 'heading', text: 'How it was trained' },
    {
      kind: 'table',
      head: ['Setting', 'Value'],
      rows: [
        ['Sampler', p.sampler.kind],
        ['Dataset size', n.toLocaleString('en-US')],
        ['Expected batch size', p.sampler.expected_batch_size.toLocaleString('en-US')],
        ['Sampling rate q', fmt(q)],
        ['Mechanism invocations', p.event_count.toLocaleString('en-US')],
        [
          'Noise randomness',
          p.noise_rng === 'secure'
            ? 'secure (platform CSPRNG)'
            : p.noise_rng === 'seeded'
              ? `seeded (ChaCha20 keyed by a seed): ${caveat}`
              : p.noise_rng,
        ],
        ['Neighboring relation', p.neighboring_relation],
        ['Budget accountant', p.budget.accountant.toUpperCase()],
        [
          'Ledger',
          ledgerSegments(p.ledger)
            .map((s) => describeEvent(withCount(s)))
            .join(' ; ') || 'empty',
        ],
      ],
    },
    { kind: 'heading', text: 'Hyper-parameters' },
    metadata.length === 0
      ? { kind: 'paragraph', text: 'None recorded.' }
      : {
          kind: 'table',
          head: ['Name', 'Value'],
          rows: metadata.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
        },
    { kind: 'heading', text: 'Checks' },
    {
      kind: 'table',
      head: ['Check', 'Result', 'Detail'],
      rows: m.checks.map((c) => [c.name, c.status.toUpperCase(), c.detail]),
      status: m.checks.map((c) => c.status),
    },
    { kind: 'heading', text: 'What was signed' },
    {
      kind: 'table',
      head: ['Item', 'Value'],
      rows: [
        ...m.statement.subject.map((s) => [`Subject: ${s.name}`, `sha256:${s.digest.sha256}`]),
        ['Run', `${p.run.id}, created ${p.run.created_at}, closed ${p.run.closed_at}`],
        [
          'Event log Merkle root',
          `${p.merkle_root.alg}:${p.merkle_root.root} (${p.merkle_root.tree_size} records, RFC 9162)`,
        ],
        ['Signing key', m.keyid ?? 'no trusted key verified the signature'],
        ['Issued', `${p.issued_at} by ${p.service.name} ${p.service.version}`],
        ['Predicate type', m.statement.predicateType],
      ],
    },
    { kind: 'heading', text: 'Threat model' },
    { kind: 'paragraph', text: threatModel(p) },
    { kind: 'heading', text: 'What this report does not prove' },
    { kind: 'paragraph', text: NOT_PROVEN },
  ];
}
