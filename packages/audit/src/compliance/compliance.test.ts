import { describe, expect, it } from 'vitest';
import { formatEpsilon, RdpAccountant } from '@dpledger/accounting';
import {
  assertStatement,
  buildComplianceModel,
  buildStatement,
  epsilonCurve,
  generateSigningKey,
  oneRunEpsilonLowerBound,
  renderReportHtml,
  renderReportPdf,
  signReport,
  type PrivacyReportPredicate,
} from '@dpledger/audit';
import { DATASET_DIGEST, MODEL_DIGEST, STEP, sampleRecords, samplePredicate } from '../fixtures/sample-report.js';
import { chargedEpsilon, fmtUp } from './checks.js';
import { reportContent } from './content.js';
import { pdfText } from './pdf.js';
import { ledgerSegments, recordSegments } from './segments.js';

const key = generateSigningKey();
const records = sampleRecords(120);
const truth = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' })
  .compose(STEP, 120)
  .getEpsilonAndOrder(1e-5);

function report(overrides: Partial<PrivacyReportPredicate> = {}, recs = records) {
  const predicate = samplePredicate(recs, {
    epsilon: { delta: 1e-5, rdp: truth, pld: null },
    budget_remaining: { epsilon: 3 - truth.epsilon },
    ...overrides,
  });
  return signReport(buildStatement({ model_digest: MODEL_DIGEST, dataset_digest: DATASET_DIGEST, predicate }), key);
}
/** An audit section whose bound the accountant computed from these counts (as the service does). */
function auditOf(correct: number, guesses = 100): NonNullable<PrivacyReportPredicate['audit']> {
  const c = { canaries: 1000, guesses, correct, delta: 1e-5, method: 'steinke2023' as const };
  const epsilonLower = oneRunEpsilonLowerBound({ ...c, significance: 0.05 / 20 });
  return {
    ...c,
    canary_kind: 'gradient',
    selection: 'bonferroni',
    k_plus: guesses,
    k_minus: 0,
    significance: 0.05,
    test_significance: 0.05 / 20,
    hypotheses: 20,
    epsilon_lower: epsilonLower,
    confidence: 0.95,
  };
}
const statusOf = (envelope: ReturnType<typeof report>, name: RegExp, events = records) =>
  buildComplianceModel({ envelope, keys: [key.publicJwk], events }).checks.find((c) => name.test(c.name))?.status;

describe('epsilon curve', () => {
  it('recomputes epsilon at ~50 steps; the last point is the whole run, values never decrease', () => {
    const curve = epsilonCurve(recordSegments(records), 'add_or_remove_one', 1e-5);
    expect(curve.points.length).toBe(51);
    expect(curve.points[0]).toEqual([0, 0]);
    expect(curve.points.at(-1)![0]).toBe(120);
    expect(curve.points.at(-1)![1]).toBeCloseTo(truth.epsilon, 12);
    expect(curve.finalOrder).toBe(truth.order);
    for (let i = 1; i < curve.points.length; i++)
      expect(curve.points[i]![1]).toBeGreaterThanOrEqual(curve.points[i - 1]![1]);
    const mid = curve.points.find(([s]) => s === 60)![1];
    expect(mid).toBeCloseTo(
      new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(STEP, 60).getEpsilon(1e-5),
      12,
    );
  });

  it('the ledger and the event log give the same curve', () => {
    const fromLedger = epsilonCurve(
      ledgerSegments({ kind: 'composed', events: [{ kind: 'self_composed', count: 120, event: STEP }] }),
      'add_or_remove_one',
      1e-5,
    );
    expect(fromLedger.points).toEqual(
      epsilonCurve(recordSegments([...records].reverse()), 'add_or_remove_one', 1e-5).points,
    );
  });

  it('reports, rather than throws, when RDP cannot analyse the events', () => {
    const curve = epsilonCurve(recordSegments(records), 'replace_one', 1e-5);
    expect(curve.points).toEqual([]);
    expect(curve.unavailable).toMatch(/add_or_remove_one/);
  });
});

describe('checks', () => {
  it('all pass for an honest, audited report with its event log', () => {
    const model = buildComplianceModel({
      envelope: report({ audit: auditOf(75) }),
      keys: [key.publicJwk],
      events: records,
    });
    expect(model.checks.map((c) => [c.name, c.status]).filter(([, s]) => s !== 'pass')).toEqual([]);
    expect(model.verified).toBe(true);
    expect(model.keyid).toBe(key.kid);
  });

  it('audit check: pass iff epsilon_lower <= epsilon, implied by the signed counts; skipped without canaries', () => {
    const audit = /Empirical audit/;
    const pass = auditOf(75);
    expect(pass.epsilon_lower).toBeGreaterThan(0);
    expect(pass.epsilon_lower).toBeLessThan(truth.epsilon);
    expect(statusOf(report({ audit: pass }), audit)).toBe('pass');
    const caught = auditOf(100); // every guess right: a trainer that added (almost) no noise
    expect(caught.epsilon_lower).toBeGreaterThan(truth.epsilon);
    expect(statusOf(report({ audit: caught }), audit)).toBe('fail');
    expect(statusOf(report({ audit: { ...pass, epsilon_lower: pass.epsilon_lower * 0.5 } }), audit)).toBe('fail');
    expect(statusOf(report({ audit: { ...pass, correct: 101 } }), audit)).toBe('fail');
    expect(statusOf(report(), audit)).toBe('skip');
  });

  it('the audit check prints the run epsilon rounded up and the measured lower bound rounded down (issue 14.6)', () => {
    const audit = auditOf(75);
    const epsilon = { delta: 1e-5, rdp: { epsilon: 1.23441, order: truth.order }, pld: null };
    const model = buildComplianceModel({
      envelope: report({ audit, epsilon }),
      keys: [key.publicJwk],
      events: records,
    });
    const detail = model.checks.find((c) => /Empirical audit/.test(c.name))!.detail;
    expect(detail).toContain('run epsilon 1.235'); // to nearest it read 1.234, below the run's epsilon
    expect(detail).toContain(
      `epsilon_lower ${formatEpsilon(audit.epsilon_lower, { significant: 4, direction: 'down' })} at`,
    );
  });

  it('a statement with a malformed audit section is refused', () => {
    const statement = buildStatement({
      model_digest: MODEL_DIGEST,
      dataset_digest: DATASET_DIGEST,
      predicate: samplePredicate(records, { audit: auditOf(75) }),
    });
    expect(() => assertStatement(statement)).not.toThrow();
    const bad = structuredClone(statement) as unknown as { predicate: { audit: Record<string, unknown> } };
    bad.predicate.audit['epsilon_lower'] = 'high';
    expect(() => assertStatement(bad)).toThrow(/predicate\/audit\/epsilon_lower/);
  });

  it('a shuffle run that logged poisson_sampled is flagged', () => {
    const envelope = report({ sampler: { kind: 'shuffle', dataset_size: 60000, expected_batch_size: 600 } });
    expect(statusOf(envelope, /sampler/)).toBe('fail');
    expect(buildComplianceModel({ envelope, keys: [key.publicJwk] }).verified).toBe(false);
  });

  it('a shuffle run passes only under replace_one (issue 8 item 3); the report says so and that n is public', () => {
    const shuffled = {
      kind: 'composed' as const,
      events: [
        {
          kind: 'self_composed' as const,
          count: 4,
          event: { kind: 'gaussian' as const, noise_multiplier: 0.5, neighboring_relation: 'replace_one' as const },
        },
      ],
    };
    const sampler = { kind: 'shuffle' as const, dataset_size: 60000, expected_batch_size: 600 };
    expect(statusOf(report({ sampler, neighboring_relation: 'replace_one', ledger: shuffled }), /sampler/, [])).toBe(
      'pass',
    );
    expect(
      statusOf(
        report({
          sampler,
          neighboring_relation: 'add_or_remove_one',
          ledger: { kind: 'composed', events: [{ kind: 'gaussian', noise_multiplier: 0.5 }] },
        }),
        /sampler/,
        [],
      ),
    ).toBe('fail');
    const html = renderReportHtml({
      envelope: report({ sampler, neighboring_relation: 'replace_one', ledger: shuffled }),
      keys: [key.publicJwk],
    });
    expect(html).toContain('The dataset size n = 60,000 is public');
    expect(html).toMatch(/shuffling .*accounted under replace_one/);
    expect(renderReportHtml({ envelope: report(), keys: [key.publicJwk] })).toContain('is public');
  });

  it('a sampling probability other than expected batch / dataset size is flagged', () => {
    expect(
      statusOf(report({ sampler: { kind: 'poisson', dataset_size: 50000, expected_batch_size: 600 } }), /sampler/),
    ).toBe('fail');
  });

  it('an event log that does not match the signed Merkle root fails; without a log the check is skipped', () => {
    const changed = records.map((r, i) => (i === 7 ? { ...r, recorded_at: '2030-01-01T00:00:00.000Z' } : r));
    expect(statusOf(report(), /Merkle/, changed)).toBe('fail');
    expect(statusOf(report(), /Merkle/, records.slice(0, -1))).toBe('fail');
    expect(
      buildComplianceModel({ envelope: report(), keys: [key.publicJwk] }).checks.find((c) => /Merkle/.test(c.name))
        ?.status,
    ).toBe('skip');
  });

  it('delta >= 1/n fails, seeded randomness warns, a mismatching epsilon warns, overspending fails', () => {
    // q = 0.01 as logged, 1/n = delta
    const n100k = { kind: 'poisson', dataset_size: 100000, expected_batch_size: 1000 } as const;
    expect(statusOf(report({ sampler: n100k }), /delta/)).toBe('fail');
    expect(statusOf(report({ sampler: { ...n100k, dataset_size: 99999 } }), /delta/)).toBe('pass');
    expect(statusOf(report({ noise_rng: 'seeded' }), /randomness/)).toBe('warn');
    expect(
      buildComplianceModel({ envelope: report({ noise_rng: 'seeded' }), keys: [key.publicJwk] }).checks.find((c) =>
        /randomness/.test(c.name),
      )?.detail,
    ).toContain('seeded run: holds only while the seed stays secret');
    expect(
      statusOf(
        report({ epsilon: { delta: 1e-5, rdp: { epsilon: truth.epsilon / 2, order: truth.order }, pld: null } }),
        /recomputed from the ledger/,
      ),
    ).toBe('warn');
    expect(statusOf(report({ budget_remaining: { epsilon: -0.5 } }), /budget/)).toBe('fail');
  });

  it("delta >= 1/n accepted by the run's explicit override warns, and the report says so in words", () => {
    const n100k = { kind: 'poisson', dataset_size: 100000, expected_batch_size: 1000 } as const;
    const envelope = report({ sampler: n100k, allow_large_delta: true });
    const model = buildComplianceModel({ envelope, keys: [key.publicJwk], events: records });
    const check = model.checks.find((c) => /delta/.test(c.name))!;
    expect(check).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('explicit override (allow_large_delta)'),
    });
    const html = renderReportHtml({ envelope, keys: [key.publicJwk], events: records });
    expect(html).toContain('WARNING: δ = 0.00001 is not below 1/n = 0.00001');
    expect(html).toContain(
      'The run was created with an explicit override (allow_large_delta) that accepted this delta.',
    );
    expect(renderReportHtml({ envelope: report(), keys: [key.publicJwk], events: records })).not.toContain(
      'WARNING: δ',
    );
  });

  it('states the smaller of the RDP and PLD bounds and names it; a pld budget is charged that one (issue 8.13)', () => {
    const content = (predicate: Partial<PrivacyReportPredicate>) =>
      reportContent(buildComplianceModel({ envelope: report(predicate), keys: [key.publicJwk], events: records }));
    const headline = (blocks: ReturnType<typeof reportContent>) =>
      blocks.find((b) => b.kind === 'paragraph' && b.text.startsWith('This model'));
    const pldTighter = {
      epsilon: { delta: 1e-5, rdp: truth, pld: { epsilon: truth.epsilon * 0.9, value_discretization_interval: 1e-4 } },
    };
    expect(headline(content(pldTighter))).toMatchObject({
      text: expect.stringContaining(
        `(ε = ${fmtUp(truth.epsilon * 0.9)}, δ = 0.00001)-differential privacy ` +
          '(ε rounded up, by PLD, the smaller of the RDP and PLD bounds)',
      ),
    });
    // PLD looser than RDP (as it was at epsilon ~200): the report states RDP's figure, even for a pld budget.
    const pldLooser = {
      epsilon: { delta: 1e-5, rdp: truth, pld: { epsilon: truth.epsilon * 1.3, value_discretization_interval: 1e-4 } },
    };
    expect(headline(content(pldLooser))).toMatchObject({
      text: expect.stringContaining(
        `(ε = ${fmtUp(truth.epsilon)}, δ = 0.00001)-differential privacy (ε rounded up, by RDP, the smaller`,
      ),
    });
    const pldBudget = (p: typeof pldLooser) =>
      samplePredicate(records, {
        ...p,
        budget: { id: 'bud_1', name: 'b', epsilon: 3, delta: 1e-5, accountant: 'pld' },
      });
    expect(chargedEpsilon(pldBudget(pldLooser))).toBe(truth.epsilon);
    expect(chargedEpsilon(pldBudget(pldTighter))).toBe(truth.epsilon * 0.9);
    expect(chargedEpsilon(samplePredicate(records, pldTighter))).toBe(truth.epsilon); // an rdp budget is charged RDP
    expect(headline(content({}))).toMatchObject({
      text: expect.stringContaining('-differential privacy (ε rounded up, by RDP). In plain words'),
    });
  });

  it('a malformed event log is an AuditError, not a crash', () => {
    const broken = [{ ...records[0]!, event: { kind: 'gaussian' } }] as unknown as typeof records;
    expect(() => buildComplianceModel({ envelope: report(), keys: [key.publicJwk], events: broken })).toThrow(
      /event record 0/,
    );
    expect(() =>
      renderReportHtml({ envelope: report(), keys: [key.publicJwk], events: [null] as unknown as typeof records }),
    ).toThrow(/event record 0/);
  });

  it('a report whose signature fails is still rendered, marked NOT VERIFIED', () => {
    const other = generateSigningKey();
    const model = buildComplianceModel({ envelope: report(), keys: [other.publicJwk], events: records });
    expect(model.verified).toBe(false);
    expect(model.checks[0]!.status).toBe('fail');
    expect(renderReportHtml({ envelope: report(), keys: [other.publicJwk] })).toContain('NOT VERIFIED');
  });
});

describe('renderReportHtml', () => {
  it('is one self-contained page with the guarantee, the plot, the checks and the digests', () => {
    const html = renderReportHtml({ envelope: report({ audit: auditOf(75) }), keys: [key.publicJwk], events: records });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('Empirical audit (one run)');
    // the accounted bound beside the measured one names the accountant that gave it
    const pldTighter = renderReportHtml({
      envelope: report({
        audit: auditOf(75),
        epsilon: {
          delta: 1e-5,
          rdp: truth,
          pld: { epsilon: truth.epsilon * 0.9, value_discretization_interval: 1e-4 },
        },
      }),
      keys: [key.publicJwk],
    });
    expect(pldTighter).toContain(
      `<td>ε upper bound (accounted)</td><td>${fmtUp(truth.epsilon * 0.9)}</td>` +
        '<td>PLD, δ = 0.00001 (the smaller of the RDP and PLD bounds)</td>',
    );
    expect(html).toContain('75 right of 100');
    expect(html).toContain(`Verified: signed by key ${key.kid}`);
    expect(html).toContain('adding or removing any one record');
    expect(html).toContain('one of the 60,000 rows');
    expect(html).toContain(`attained at order α = ${truth.order}`);
    expect(html).toContain('What this report does not prove');
    expect(html).toContain(`sha256:${MODEL_DIGEST.sha256}`);
    expect(html).toContain(`sha256:${DATASET_DIGEST.sha256}`);
    expect(html).toContain('learning_rate');
    const polyline = /<polyline[^>]* points="([^"]+)"/.exec(html)![1]!.split(' ');
    expect(polyline.length).toBe(51);
    expect((html.match(/class="check-pass"/g) ?? []).length).toBe(9);
    // Self-contained: no scripts, no external resources.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|url\(|@import/i);
    expect(html).not.toMatch(/https?:\/\/(?!dpledger\.dev\/privacy-report\/v1|www\.w3\.org\/2000\/svg)/);
  });

  it('shows every epsilon rounded up and the remaining budget rounded down, never to nearest', () => {
    const envelope = report({
      epsilon: {
        delta: 1e-5,
        rdp: { epsilon: 0.79511, order: 14 },
        pld: { epsilon: 0.70001, value_discretization_interval: 1e-4 },
      },
      budget_remaining: { epsilon: 2.20489 },
    });
    const html = renderReportHtml({ envelope, keys: [key.publicJwk] });
    expect(html).toContain(
      '(ε = 0.7001, δ = 0.00001)-differential privacy (ε rounded up, by PLD, the smaller of the RDP and PLD bounds)',
    ); // 0.70001 up
    expect(html).toContain('<td>0.7952</td>');
    expect(html).toContain('<td>0.7001</td>');
    expect(html).toContain('ε 0.7952 spent of 3');
    expect(html).toContain('2.204 remains');
    expect(html).not.toContain('0.7951');
  });

  it('states the threat model and names docs/privacy-model.md (HTML, and the PDF from the same blocks)', () => {
    const html = renderReportHtml({ envelope: report({ noise_rng: 'seeded' }), keys: [key.publicJwk] });
    expect(html).toContain('Threat model (stated in full in docs/privacy-model.md of dpledger)');
    expect(html).toContain('un-noised training loss and the realised batch sizes are private');
    expect(html).toContain('the guarantee holds only while the seed stays secret');
    const blocks = reportContent(buildComplianceModel({ envelope: report(), keys: [key.publicJwk] }));
    expect(blocks).toContainEqual({ kind: 'paragraph', text: expect.stringContaining('docs/privacy-model.md') });
  });

  it('escapes every string from the report', () => {
    const evil = '<script>alert("x")</script><img src=x onerror=alert(1)>';
    const envelope = report({
      run: {
        id: 'run_1',
        name: evil,
        created_at: '2026-11-28T12:00:00.000Z',
        closed_at: '2026-11-28T12:05:00.000Z',
        metadata: { [evil]: evil, nested: { a: evil } },
      },
      budget: { id: 'bud_1', name: `'"&${evil}`, epsilon: 3, delta: 1e-5, accountant: 'rdp' },
    });
    const html = renderReportHtml({ envelope, keys: [key.publicJwk], events: records });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&#39;&quot;&amp;&lt;script&gt;');
  });

  it('seeded run: seed-secrecy caveat on each epsilon, a paragraph, its randomness row; a secure run has none', () => {
    const html = renderReportHtml({
      envelope: report({ noise_rng: 'seeded' }),
      keys: [key.publicJwk],
      events: records,
    });
    const caveat = 'seeded run: holds only while the seed stays secret';
    expect(html).toContain(`-differential privacy (ε rounded up, by RDP) (${caveat})`);
    // guarantee, budget bar, RDP row
    expect((html.match(new RegExp(`\\(${caveat}\\)`, 'g')) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(html).toContain('This was a SEEDED run');
    expect(html).toContain(`seeded (ChaCha20 keyed by a seed): ${caveat}`);
    const secure = renderReportHtml({ envelope: report(), keys: [key.publicJwk], events: records });
    expect(secure).not.toMatch(/seed/i);
    expect(secure).toContain('secure (platform CSPRNG)');
  });

  it('explains a missing plot instead of drawing one', () => {
    const html = renderReportHtml({ envelope: report({ neighboring_relation: 'replace_one' }), keys: [key.publicJwk] });
    expect(html).not.toContain('<polyline');
    expect(html).toContain('No epsilon-versus-step curve');
    expect(html).toContain('replacing any one record with any other');
  });
});

describe('renderReportPdf', () => {
  it('keeps WinAnsi text, spells out Greek letters and replaces what the standard fonts cannot show', () => {
    expect(pdfText('k·ε ≈ 2 — “ok” € ✓ 😀 δ')).toBe('k·epsilon ~ 2 — “ok” € ? ? delta');
  });

  it('writes a complete PDF document', async () => {
    const pdf = await renderReportPdf({
      envelope: report({ run: { id: 'r', name: 'ε-run ✓ <b>', created_at: 'x', closed_at: 'y' } }),
      keys: [key.publicJwk],
      events: records,
    });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.subarray(-6).toString('latin1')).toMatch(/%%EOF\s*$/);
    const text = pdf.toString('latin1');
    expect((text.match(/\/Type \/Page\b/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(text).toContain('(Privacy report: epsilon-run ? <b>)');
    // the PDF draws the same blocks as the HTML page: a seeded run's blocks carry the caveat
    const blocks = reportContent(
      buildComplianceModel({ envelope: report({ noise_rng: 'seeded' }), keys: [key.publicJwk], events: records }),
    );
    expect(blocks.some((b) => b.kind === 'paragraph' && b.text.startsWith('This was a SEEDED run'))).toBe(true);
    expect(JSON.stringify(blocks)).toContain('(seeded run: holds only while the seed stays secret)');
  });
});
