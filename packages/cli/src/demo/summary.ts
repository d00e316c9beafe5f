/**
 * The demo's final summary: accuracy, epsilon by RDP and PLD (rounded up), where the files are, the command that
 * re-verifies.
 */
import { relative } from 'node:path';
import { formatEpsilon } from '@dpledger/accounting';
import type { DemoResult } from './run-demo.js';

function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

/**
 * The one command that re-verifies the written report offline.
 * @example
 * verifyCommand(result, process.cwd())
 * // 'npx dpledger verify dpledger-out/report.json --key dpledger-out/AbC.jwk --events dpledger-out/events.json'
 */
export function verifyCommand(r: DemoResult, cwd: string): string {
  return (
    `npx dpledger verify ${shown(r.files.reportJson, cwd)} ` +
    `--key ${shown(r.files.jwk, cwd)} --events ${shown(r.files.events, cwd)}`
  );
}

/** The summary's audit line: the one-run lower bound and whether it stays at or below the accounted epsilon. */
function auditText(a: DemoResult['audit']): string {
  if (a === null) return 'none (--canaries 0)';
  const lower = formatEpsilon(a.epsilonLower, { decimals: 3, direction: 'down' });
  const verdict = a.passed
    ? 'PASS (a lower bound at or below the accounted epsilon)'
    : 'FAIL (measured privacy loss above the accounted epsilon)';
  return (
    `epsilon_lower ${lower} from ${a.correct} of ${a.guesses} right guesses on ${a.canaries} gradient canaries: ` +
    verdict
  );
}

/**
 * Formats the summary block printed on stdout.
 * @example process.stdout.write(formatSummary(result, process.cwd()));
 */
export function formatSummary(r: DemoResult, cwd: string): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const delta = r.budget.delta < 1e-3 ? r.budget.delta.toExponential() : String(r.budget.delta);
  const note = r.epsilonCaveat === null ? '' : ` (${r.epsilonCaveat})`; // on every epsilon of a seeded run
  const stopped = r.stoppedByBudget ? ' (stopped by the budget)' : '';
  const order = r.rdpOrder !== undefined ? ` at order ${r.rdpOrder}` : '';
  const pld = r.epsilonPld === null ? 'not in the report' : `${formatEpsilon(r.epsilonPld, 4)}${note}`;
  const lines = [
    '',
    'dpledger demo: done',
    `  dataset         ${r.dataset}`,
    `  training        ${r.stepsTaken} of ${r.steps} DP-SGD steps${stopped}, ${r.trainSize} images, ` +
      `q ${r.samplingProbability.toPrecision(3)}, sigma ${r.noiseMultiplier.toFixed(3)}, ${r.backend}`,
    `  test accuracy   ${pct(r.testAccuracy)} on ${r.testSize} test images`,
    `  epsilon (RDP)   ${formatEpsilon(r.epsilonRdp, 4)}${order}, delta ${delta}${note}`,
    `  epsilon (PLD)   ${pld}`,
    `  audit           ${auditText(r.audit)}`,
    `  budget          epsilon ${r.budget.epsilon} at delta ${delta} (budget ${r.budget.id}, run ${r.runId})`,
    ...(r.noiseRng === 'seeded'
      ? ['  randomness      seeded (--seed): anyone who learns the seed can remove the noise; keep it secret']
      : []),
    `  report          ${shown(r.files.reportJson, cwd)} (signed by key ${r.keyid}, verified)`,
    `  readable        ${shown(r.files.html, cwd)}, ${shown(r.files.pdf, cwd)} ` +
      `(event log: ${shown(r.files.events, cwd)})`,
    `  model           ${shown(r.files.model, cwd)}/model.json + weights.bin`,
    `  wall time       ${r.wallSeconds.toFixed(0)} s`,
    '',
    'Re-verify the report offline, with no server:',
    `  ${verifyCommand(r, cwd)}`,
    '',
  ];
  return lines.join('\n');
}
