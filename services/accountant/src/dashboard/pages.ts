/** The dashboard's pages: login, overview (budgets and runs), and one run with its curve and report. */
import type { ComplianceModel } from '@dpledger/audit';
import { fmtNumber, layout } from './layout.js';
import { html, raw, type SafeHtml } from './html.js';
import { epsilonCurveSvg, gaugeSvg, type CurvePoint } from './svg-curve.js';
import type { DashboardBudget, DashboardRun } from './source.js';

// Fixed parts of the pages, named so that no source line passes 120 characters.
const LOGIN_HINT = raw(
  'Paste a tenant API key (from <code>POST /v1/api-keys</code>). ' +
    'It is checked once; the browser then holds only a session cookie.',
);
const API_KEY_INPUT = raw('<input id="api_key" name="api_key" type="password" required maxlength="512">');
const REPORT_PENDING = raw(
  '<section><h2>Report</h2><p class="muted">The report is signed when the run is closed. ' +
    'This page refreshes every 5 seconds.</p></section>',
);
const VERIFIED = raw('<span id="verification" class="status ok">verified</span>');
const VERIFICATION_FAILED = raw('<span id="verification" class="status bad">verification failed</span>');
const CURVE_NOTE = raw('Composed from the event log with the RDP accountant (each refresh adds only the new records)');
const NOT_FOUND = raw(
  '<section><h1>Not found</h1><p>No such run for this tenant. <a href="/">Back to the overview</a></p></section>',
);

/**
 * The login page: one form that POSTs the API key (never put in a URL).
 * @example loginPage() // '<!doctype html>...<form method="post" action="/login">...'
 */
export function loginPage(error?: string): string {
  return layout({
    title: 'Log in',
    body: html`<section><h1>Log in</h1>
<p class="muted">${LOGIN_HINT}</p>
${error !== undefined ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/login" autocomplete="off">
<label for="api_key">API key</label><br>${API_KEY_INPUT}<br><br>
<button class="primary" type="submit">Log in</button></form></section>`,
  });
}

function runLink(run: DashboardRun): SafeHtml {
  return html`<a href="/runs/${encodeURIComponent(run.id)}">${run.name}</a>`;
}

function statusBadge(run: DashboardRun): SafeHtml {
  return run.status === 'closed'
    ? html`<span class="status ok">closed</span>`
    : html`<span class="status open">open</span>`;
}

/** A table's head row: one <th> per column (the names are plain text). */
function tableHead(columns: readonly string[]): SafeHtml {
  return html`<thead><tr>${columns.map((c) => html`<th>${c}</th>`)}</tr></thead>`;
}

function budgetRow(b: DashboardBudget): SafeHtml {
  const gauge = gaugeSvg({ spent: b.epsilon_spent, reserved: b.epsilon_reserved, limit: b.epsilon });
  const spent = fmtNumber(b.epsilon_spent);
  return html`<tr class="budget"><td>${b.name}</td><td class="num">${spent} / ${fmtNumber(b.epsilon)}</td>
<td>${gauge}</td><td class="num">${fmtNumber(b.delta)}</td>
<td>${b.accountant.toUpperCase()} · ${b.neighboring_relation}</td><td class="num">${b.run_count}</td></tr>`;
}

function runRow(r: DashboardRun, budgetName: ReadonlyMap<string, string>): SafeHtml {
  const budget = budgetName.get(r.budget_id) ?? r.budget_id;
  const spent = fmtNumber(r.epsilon_spent);
  const created = html`<td class="muted">${r.created_at}</td>`;
  return html`<tr class="run"><td>${runLink(r)}</td><td>${budget}</td><td>${statusBadge(r)}</td>
<td class="num">${r.event_count}</td><td class="num">${spent}</td><td>${r.sampler.kind}</td>${created}</tr>`;
}

const BUDGET_HEAD = tableHead(['Budget', 'Spent / limit', '', 'delta', 'Accountant', 'Runs']);
const RUN_HEAD = tableHead(['Run', 'Budget', 'Status', 'Steps', 'epsilon spent', 'Sampler', 'Created']);

/**
 * Budgets with spent/limit gauges, and the tenant's runs.
 * @example overviewPage({ tenant: 'acme', budgets: [], runs: [] })
 */
export function overviewPage(p: { tenant: string; budgets: DashboardBudget[]; runs: DashboardRun[] }): string {
  const budgetName = new Map(p.budgets.map((b) => [b.id, b.name]));
  const budgets =
    p.budgets.length === 0
      ? html`<p class="muted">No budgets yet.</p>`
      : html`<table>${BUDGET_HEAD}<tbody>
${p.budgets.map(budgetRow)}
</tbody></table>`;
  const runs =
    p.runs.length === 0
      ? html`<p class="muted">No runs yet.</p>`
      : html`<table>${RUN_HEAD}<tbody>
${p.runs.map((r) => runRow(r, budgetName))}
</tbody></table>`;
  const anyOpen = p.runs.some((r) => r.status === 'open');
  return layout({
    title: 'Overview',
    tenant: p.tenant,
    refreshSeconds: anyOpen ? 10 : undefined,
    body: html`<h1>Overview</h1><section><h2>Budgets</h2>${budgets}</section><section><h2>Runs</h2>${runs}</section>`,
  });
}

/**
 * A closed run's report as the dashboard shows it: the compliance model of @dpledger/audit (the same one the HTML
 * and PDF reports render, so "verified" here and in the report cannot disagree), or why it could not be built.
 */
export type ReportView =
  { state: 'model'; model: ComplianceModel } | { state: 'unreadable'; reason: string } | { state: 'missing' };

function checkRow(c: ComplianceModel['checks'][number]): SafeHtml {
  const badge = c.status === 'pass' ? 'ok' : c.status === 'fail' ? 'bad' : 'open';
  return html`<tr><td>${c.name}</td><td><span class="status ${badge}">${c.status}</span></td></tr>`;
}

function reportSection(run: DashboardRun, report: ReportView): SafeHtml {
  if (run.status !== 'closed') return REPORT_PENDING;
  if (report.state === 'missing')
    return html`<section><h2>Report</h2><p class="error">The run is closed but no report was found.</p></section>`;
  const base = `/runs/${encodeURIComponent(run.id)}`;
  const downloads = html`<p>Downloads: <a id="download-json" href="${base}/report.json" download>report.json</a> ·
<a id="open-html" href="${base}/report.html">report.html</a> ·
<a id="download-pdf" href="${base}/report.pdf" download>report.pdf</a> ·
<a href="/v1/keys">public keys (JWK)</a></p>`;
  if (report.state === 'unreadable')
    return html`<section><h2>Report</h2><p>${VERIFICATION_FAILED} ${report.reason}</p>${downloads}</section>`;
  const { model } = report;
  const p = model.predicate;
  const merkle = model.checks.find((c) => c.name.startsWith('Merkle root'));
  const failed = model.checks.filter((c) => c.status === 'fail');
  const merkleNote = merkle?.status === 'pass' ? html`; Merkle root recomputed from the event log matches` : '';
  const status = model.verified
    ? html`${VERIFIED} signature valid under key <code>${model.keyid}</code>${merkleNote}`
    : html`${VERIFICATION_FAILED} ${failed.map((c, i) => html`${i > 0 ? '; ' : ''}${c.name}: ${c.detail}`)}`;
  const digest = (name: string): string | undefined =>
    model.statement.subject.find((x) => x.name === name)?.digest['sha256'];
  const rdp = fmtNumber(p.epsilon.rdp.epsilon);
  const order = fmtNumber(p.epsilon.rdp.order);
  const pld = p.epsilon.pld === null ? 'not computed' : fmtNumber(p.epsilon.pld.epsilon);
  return html`<section><h2>Report</h2><p>${status}</p>
<table><tbody>
<tr><th>epsilon (RDP)</th><td class="num">${rdp} <span class="muted">at order ${order}</span></td></tr>
<tr><th>epsilon (PLD)</th><td class="num">${pld}</td></tr>
<tr><th>delta</th><td class="num">${fmtNumber(p.epsilon.delta)}</td></tr>
<tr><th>model sha256</th><td><code>${digest('model') ?? '–'}</code></td></tr>
<tr><th>dataset manifest sha256</th><td><code>${digest('dataset-manifest') ?? '–'}</code></td></tr>
<tr><th>issued</th><td>${p.issued_at}</td></tr>
</tbody></table>
<table class="checks"><thead><tr><th>The report's checks</th><th>Result</th></tr></thead><tbody>
${model.checks.map(checkRow)}
</tbody></table>
${downloads}</section>`;
}

/** The budget's limits after its name on a run's page (nothing when the budget is not found). */
function budgetFacts(b: DashboardBudget | undefined): SafeHtml {
  if (b === undefined) return html``;
  return html` (epsilon ${fmtNumber(b.epsilon)}, delta ${fmtNumber(b.delta)}, ${b.accountant.toUpperCase()})`;
}

/** The run's empirical audit: its epsilon lower bound beside the run's epsilon, and how it was measured. */
function auditCell(run: DashboardRun): SafeHtml {
  const a = run.audit;
  if (a === undefined) return html`<span class="muted">none (no canaries)</span>`;
  const badge = a.epsilon_lower <= run.epsilon_spent ? 'ok' : 'error';
  const lowerBound = fmtNumber(a.epsilon_lower, 'down'); // a measured lower bound: never shown above what was measured
  const lower = html`<span id="audit" class="status ${badge}">epsilon_lower ${lowerBound}</span>`;
  const tally = html`${a.correct} of ${a.guesses} right on ${a.canaries} ${a.canary_kind} canaries`;
  const how = html`${tally}, ${a.method}, ${fmtNumber(100 * a.confidence)}% confidence`;
  return html`${lower} <span class="muted">(${how}; a lower bound, compared with the run's epsilon)</span>`;
}

/**
 * One run: its facts, its epsilon-versus-step curve, and for a closed run the report's verification and downloads.
 * @example runPage({ tenant: 'acme', run, budget, curve: [], report: { state: 'missing' } })
 */
export function runPage(p: {
  tenant: string;
  run: DashboardRun;
  budget?: DashboardBudget;
  curve: CurvePoint[];
  report: ReportView;
}): string {
  const { run, budget } = p;
  const s = run.sampler;
  return layout({
    title: `Run ${run.name}`,
    tenant: p.tenant,
    refreshSeconds: run.status === 'open' ? 5 : undefined,
    body: html`<p><a href="/">← overview</a></p><h1>Run ${run.name} ${statusBadge(run)}</h1>
<section><table><tbody>
<tr><th>Run id</th><td><code>${run.id}</code></td></tr>
<tr><th>Budget</th><td>${budget?.name ?? run.budget_id}${budgetFacts(budget)}</td></tr>
<tr><th>Sampler</th><td>${s.kind}, expected batch ${s.expected_batch_size} of ${s.dataset_size} records</td></tr>
<tr><th>Noise RNG</th><td>${run.noise_rng ?? 'not stated'}</td></tr>
<tr><th>Steps logged</th><td class="num">${run.event_count}</td></tr>
<tr><th>epsilon spent by this run</th><td class="num">${fmtNumber(run.epsilon_spent)}</td></tr>
<tr><th>Empirical audit</th><td>${auditCell(run)}</td></tr>
</tbody></table></section>
<section><h2>epsilon versus step</h2>${epsilonCurveSvg(p.curve, { limit: budget?.epsilon })}
<p class="muted">${CURVE_NOTE} at delta ${fmtNumber(budget?.delta)}.</p></section>
${reportSection(run, p.report)}`,
  });
}

/**
 * The page for a run id this tenant does not have (another tenant's id reads exactly the same).
 * @example notFoundPage('acme')
 */
export function notFoundPage(tenant: string): string {
  return layout({
    title: 'Not found',
    tenant,
    body: NOT_FOUND,
  });
}
