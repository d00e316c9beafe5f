/** The HTML of `/train`: the form the page script (packages/trainer/browser/train-page.ts) drives. */
import { html, raw } from '../dashboard/html.js';
import { fmtNumber, layout } from '../dashboard/layout.js';
import type { BudgetRow } from '../store/store.js';

const STYLE = `
#train-form label{display:block;margin:6px 0}#train-form input[type=number]{width:110px}
dl.live{display:grid;grid-template-columns:max-content auto;gap:4px 14px}dl.live dt{color:#57606a}dl.live dd{margin:0;font-variant-numeric:tabular-nums}
progress{width:100%;max-width:420px}
`;

/**
 * The training page of a logged-in tenant: budgets to pick, data files, hyper-parameters, live figures.
 * @example trainPage({ tenant: 'acme', budgets, bundleReady: true })
 */
export function trainPage(p: { tenant: string; budgets: readonly BudgetRow[]; bundleReady: boolean }): string {
  const open = p.budgets.filter((b) => b.epsilon_reserved < b.epsilon);
  const body = html`<style>${raw(STYLE)}</style>
<h1>Train in this browser</h1>
<p class="muted">DP-SGD on the tanh CNN (Papernot et al. 2020) with tfjs in this page. Your data is read here and never
leaves the page; every step is reserved and committed at this accountant with a token of one run, and the run is
closed and its report signed at the end.</p>
${p.bundleReady ? '' : html`<p class="error">The training bundle is not built on this server (npm run build:train).</p>`}
<section><form id="train-form">
<label>Budget <select name="budget_id" required>${open.map((b) => html`<option value="${b.id}">${b.name} (ε ${fmtNumber(b.epsilon_spent)} of ${fmtNumber(b.epsilon)} spent, δ ${fmtNumber(b.delta)})</option>`)}</select></label>
<label>Training images (IDX, .gz or raw) <input type="file" id="images"></label>
<label>Training labels (IDX, .gz or raw) <input type="file" id="labels"></label>
<p class="muted">Leave the files empty to train on the shipped Fashion-MNIST sample.</p>
<label>Steps <input type="number" name="steps" value="30" min="1" max="100000" required></label>
<label>Expected batch size <input type="number" name="batch" value="16" min="1" max="4096" required></label>
<label>Noise multiplier σ <input type="number" name="noise_multiplier" value="1.1" min="0.3" step="any" required></label>
<label>Clip norm C <input type="number" name="clip_norm" value="1" min="0.001" step="any" required></label>
<label>Learning rate <input type="number" name="learning_rate" value="0.1" min="0" step="any" required></label>
<button class="primary" id="start" type="submit"${open.length === 0 || !p.bundleReady ? raw(' disabled') : ''}>Start training</button>
</form></section>
<section><h2>Progress</h2><progress id="bar" value="0" max="1"></progress>
<dl class="live"><dt>status</dt><dd id="status">waiting</dd><dt>backend</dt><dd id="backend">–</dd><dt>run</dt><dd id="run">–</dd>
<dt>step</dt><dd id="progress">–</dd><dt>ε spent (at the budget's δ)</dt><dd id="epsilon">–</dd>
<dt>batch loss (private, not DP)</dt><dd id="loss">–</dd><dt>steps taken</dt><dd id="steps-done">–</dd></dl>
<p><a id="report" hidden>The run's verified report</a></p></section>
<script type="module" src="/train/train.js"></script>`;
  return layout({ title: 'Train', tenant: p.tenant, body });
}
