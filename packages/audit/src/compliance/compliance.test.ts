import { describe, expect, it } from 'vitest';
import { RdpAccountant } from '@dpledger/accounting';
import { buildComplianceModel, buildStatement, epsilonCurve, generateSigningKey, renderReportHtml, renderReportPdf, signReport, type PrivacyReportPredicate } from '@dpledger/audit';
import { DATASET_DIGEST, MODEL_DIGEST, STEP, sampleRecords, samplePredicate } from '../fixtures/sample-report.js';
import { chargedEpsilon, fmt } from './checks.js';
import { reportContent } from './content.js';
import { pdfText } from './pdf.js';
import { ledgerSegments, recordSegments } from './segments.js';

const key = generateSigningKey();
const records = sampleRecords(120);
const truth = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(STEP, 120).getEpsilonAndOrder(1e-5);

function report(overrides: Partial<PrivacyReportPredicate> = {}, recs = records) {
  const predicate = samplePredicate(recs, { epsilon: { delta: 1e-5, rdp: truth, pld: null }, budget_remaining: { epsilon: 3 - truth.epsilon }, ...overrides });
  return signReport(buildStatement({ model_digest: MODEL_DIGEST, dataset_digest: DATASET_DIGEST, predicate }), key);
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
    for (let i = 1; i < curve.points.length; i++) expect(curve.points[i]![1]).toBeGreaterThanOrEqual(curve.points[i - 1]![1]);
    const mid = curve.points.find(([s]) => s === 60)![1];
    expect(mid).toBeCloseTo(new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(STEP, 60).getEpsilon(1e-5), 12);
  });

  it('the ledger and the event log give the same curve', () => {
    const fromLedger = epsilonCurve(ledgerSegments({ kind: 'composed', events: [{ kind: 'self_composed', count: 120, event: STEP }] }), 'add_or_remove_one', 1e-5);
    expect(fromLedger.points).toEqual(epsilonCurve(recordSegments([...records].reverse()), 'add_or_remove_one', 1e-5).points);
  });

  it('reports, rather than throws, when RDP cannot analyse the events', () => {
    const curve = epsilonCurve(recordSegments(records), 'replace_one', 1e-5);
    expect(curve.points).toEqual([]);
    expect(curve.unavailable).toMatch(/add_or_remove_one/);
  });
});

describe('checks', () => {
  it('all pass for an honest report with its event log', () => {
    const model = buildComplianceModel({ envelope: report(), keys: [key.publicJwk], events: records });
    expect(model.checks.map((c) => [c.name, c.status]).filter(([, s]) => s !== 'pass')).toEqual([]);
    expect(model.verified).toBe(true);
    expect(model.keyid).toBe(key.kid);
  });

  it('a shuffle run that logged poisson_sampled is flagged', () => {
    const envelope = report({ sampler: { kind: 'shuffle', dataset_size: 60000, expected_batch_size: 600 } });
    expect(statusOf(envelope, /sampler/)).toBe('fail');
    expect(buildComplianceModel({ envelope, keys: [key.publicJwk] }).verified).toBe(false);
  });

  it('a sampling probability other than expected batch / dataset size is flagged', () => {
    expect(statusOf(report({ sampler: { kind: 'poisson', dataset_size: 50000, expected_batch_size: 600 } }), /sampler/)).toBe('fail');
  });

  it('an event log that does not match the signed Merkle root fails; without a log the check is skipped', () => {
    const changed = records.map((r, i) => (i === 7 ? { ...r, recorded_at: '2030-01-01T00:00:00.000Z' } : r));
    expect(statusOf(report(), /Merkle/, changed)).toBe('fail');
    expect(statusOf(report(), /Merkle/, records.slice(0, -1))).toBe('fail');
    expect(buildComplianceModel({ envelope: report(), keys: [key.publicJwk] }).checks.find((c) => /Merkle/.test(c.name))?.status).toBe('skip');
  });

  it('delta >= 1/n fails, seeded randomness warns, a mismatching epsilon warns, overspending fails', () => {
    const n100k = { kind: 'poisson', dataset_size: 100000, expected_batch_size: 1000 } as const; // q = 0.01 as logged, 1/n = delta
    expect(statusOf(report({ sampler: n100k }), /delta/)).toBe('fail');
    expect(statusOf(report({ sampler: { ...n100k, dataset_size: 99999 } }), /delta/)).toBe('pass');
    expect(statusOf(report({ noise_rng: 'seeded' }), /randomness/)).toBe('warn');
    expect(statusOf(report({ epsilon: { delta: 1e-5, rdp: { epsilon: truth.epsilon / 2, order: truth.order }, pld: null } }), /recomputed from the ledger/)).toBe('warn');
    expect(statusOf(report({ budget_remaining: { epsilon: -0.5 } }), /budget/)).toBe('fail');
  });

  it('states the smaller of the RDP and PLD bounds and names it; a pld budget is charged that one (issue 8.13)', () => {
    const content = (predicate: Partial<PrivacyReportPredicate>) => reportContent(buildComplianceModel({ envelope: report(predicate), keys: [key.publicJwk], events: records }));
    const headline = (blocks: ReturnType<typeof reportContent>) => blocks.find((b) => b.kind === 'paragraph' && b.text.startsWith('This model'));
    const pldTighter = { epsilon: { delta: 1e-5, rdp: truth, pld: { epsilon: truth.epsilon * 0.9, value_discretization_interval: 1e-4 } } };
    expect(headline(content(pldTighter))).toMatchObject({ text: expect.stringContaining(`(ε = ${fmt(truth.epsilon * 0.9)}, δ = 0.00001)-differential privacy (by PLD, the smaller of the RDP and PLD bounds)`) });
    // PLD looser than RDP (as it was at epsilon ~200): the report states RDP's figure, even for a pld budget.
    const pldLooser = { epsilon: { delta: 1e-5, rdp: truth, pld: { epsilon: truth.epsilon * 1.3, value_discretization_interval: 1e-4 } } };
    expect(headline(content(pldLooser))).toMatchObject({ text: expect.stringContaining(`(ε = ${fmt(truth.epsilon)}, δ = 0.00001)-differential privacy (by RDP, the smaller`) });
    const pldBudget = (p: typeof pldLooser) => samplePredicate(records, { ...p, budget: { id: 'bud_1', name: 'b', epsilon: 3, delta: 1e-5, accountant: 'pld' } });
    expect(chargedEpsilon(pldBudget(pldLooser))).toBe(truth.epsilon);
    expect(chargedEpsilon(pldBudget(pldTighter))).toBe(truth.epsilon * 0.9);
    expect(chargedEpsilon(samplePredicate(records, pldTighter))).toBe(truth.epsilon); // an rdp budget is charged RDP
    expect(headline(content({}))).toMatchObject({ text: expect.stringContaining('-differential privacy (by RDP). In plain words') });
  });

  it('a malformed event log is an AuditError, not a crash', () => {
    const broken = [{ ...records[0]!, event: { kind: 'gaussian' } }] as unknown as typeof records;
    expect(() => buildComplianceModel({ envelope: report(), keys: [key.publicJwk], events: broken })).toThrow(/event record 0/);
    expect(() => renderReportHtml({ envelope: report(), keys: [key.publicJwk], events: [null] as unknown as typeof records })).toThrow(/event record 0/);
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
    const html = renderReportHtml({ envelope: report(), keys: [key.publicJwk], events: records });
    expect(html).toMatch(/^<!doctype html>/);
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
    expect((html.match(/class="check-pass"/g) ?? []).length).toBe(8);
    // Self-contained: no scripts, no external resources.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|url\(|@import/i);
    expect(html).not.toMatch(/https?:\/\/(?!dpledger\.dev\/privacy-report\/v1|www\.w3\.org\/2000\/svg)/);
  });

  it('escapes every string from the report', () => {
    const evil = '<script>alert("x")</script><img src=x onerror=alert(1)>';
    const envelope = report({
      run: { id: 'run_1', name: evil, created_at: '2026-11-28T12:00:00.000Z', closed_at: '2026-11-28T12:05:00.000Z', metadata: { [evil]: evil, nested: { a: evil } } },
      budget: { id: 'bud_1', name: `'"&${evil}`, epsilon: 3, delta: 1e-5, accountant: 'rdp' },
    });
    const html = renderReportHtml({ envelope, keys: [key.publicJwk], events: records });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&#39;&quot;&amp;&lt;script&gt;');
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
    const pdf = await renderReportPdf({ envelope: report({ run: { id: 'r', name: 'ε-run ✓ <b>', created_at: 'x', closed_at: 'y' } }), keys: [key.publicJwk], events: records });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.subarray(-6).toString('latin1')).toMatch(/%%EOF\s*$/);
    const text = pdf.toString('latin1');
    expect((text.match(/\/Type \/Page\b/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(text).toContain('(Privacy report: epsilon-run ? <b>)');
  });
});
