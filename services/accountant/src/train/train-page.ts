/** The HTML of `/train`: the form the page script (packages/trainer/browser/train-page.ts) drives. */
import { html, raw, type SafeHtml } from '../dashboard/html.js';
import { fmtNumber, layout } from '../dashboard/layout.js';
import type { BudgetRow } from '../store/store.js';

// A backslash at a line's end continues it: the stylesheet's text has no line break there (keeps lines short).
const STYLE = `
#train-form label{display:block;margin:6px 0}#train-form input[type=number]{width:110px}
dl.live{display:grid;grid-template-columns:max-content auto;gap:4px 14px}\
dl.live dt{color:#57606a}dl.live dd{margin:0;font-variant-numeric:tabular-nums}
progress{width:100%;max-width:420px}
`;

// Fixed parts of the page, named so that no source line passes 120 characters.
const NO_BUNDLE = html`<p class="error">The training bundle is not built on this server (npm run build:train).</p>`;
const SIGMA_INPUT = raw('<input type="number" name="noise_multiplier" value="1.1" min="0.3" step="any" required>');
const LIVE_STATUS = raw('<dt>status</dt><dd id="status">waiting</dd><dt>backend</dt><dd id="backend">–</dd>');

/** One budget to pick: its name and what it has spent of its limit. */
function budgetOption(b: BudgetRow): SafeHtml {
  const figures = html`ε ${fmtNumber(b.epsilon_spent)} of ${fmtNumber(b.epsilon)} spent, δ ${fmtNumber(b.delta)}`;
  return html`<option value="${b.id}">${b.name} (${figures})</option>`;
}

/**
 * The training page of a logged-in tenant: budgets to pick, data files, hyper-parameters, live figures.
 * @example trainPage({ tenant: 'acme', budgets, bundleReady: true })
 */
export function trainPage(p: { tenant: string; budgets: readonly BudgetRow[]; bundleReady: boolean }): string {
  const open = p.budgets.filter((b) => b.epsilon_reserved < b.epsilon);
  const disabled = open.length === 0 || !p.bundleReady ? raw(' disabled') : '';
  const body = html`<style>${raw(STYLE)}</style>
<h1>Train in this browser</h1>
<p class="muted">DP-SGD on the tanh CNN (Papernot et al. 2020) with tfjs in this page. Your data is read here and never
leaves the page; every step is reserved and committed at this accountant with a token of one run, and the run is
closed and its report signed at the end.</p>
${p.bundleReady ? '' : NO_BUNDLE}
<section><form id="train-form">
<label>Budget <select name="budget_id" required>${open.map(budgetOption)}</select></label>
<label>Training images (IDX, .gz or raw) <input type="file" id="images"></label>
<label>Training labels (IDX, .gz or raw) <input type="file" id="labels"></label>
<p class="muted">Leave the files empty to train on the shipped Fashion-MNIST sample.</p>
<label>Steps <input type="number" name="steps" value="30" min="1" max="100000" required></label>
<label>Expected batch size <input type="number" name="batch" value="16" min="1" max="4096" required></label>
<label>Noise multiplier σ ${SIGMA_INPUT}</label>
<label>Clip norm C <input type="number" name="clip_norm" value="1" min="0.001" step="any" required></label>
<label>Learning rate <input type="number" name="learning_rate" value="0.1" min="0" step="any" required></label>
<button class="primary" id="start" type="submit"${disabled}>Start training</button>
</form></section>
<section><h2>Progress</h2><progress id="bar" value="0" max="1"></progress>
<dl class="live">${LIVE_STATUS}<dt>run</dt><dd id="run">–</dd>
<dt>step</dt><dd id="progress">–</dd><dt>ε spent (at the budget's δ)</dt><dd id="epsilon">–</dd>
<dt>batch loss (private, not DP)</dt><dd id="loss">–</dd><dt>steps taken</dt><dd id="steps-done">–</dd></dl>
<p><a id="report" hidden>The run's verified report</a></p></section>
<script type="module" src="/train/train.js"></script>`;
  return layout({ title: 'Train', tenant: p.tenant, body });
}
