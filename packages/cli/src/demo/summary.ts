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
 * @example verifyCommand(result, process.cwd()) // 'npx dpledger verify dpledger-out/report.json --key dpledger-out/AbC.jwk --events dpledger-out/events.json'
 */
export function verifyCommand(r: DemoResult, cwd: string): string {
  return `npx dpledger verify ${shown(r.files.reportJson, cwd)} --key ${shown(r.files.jwk, cwd)} --events ${shown(r.files.events, cwd)}`;
}

/**
 * Formats the summary block printed on stdout.
 * @example process.stdout.write(formatSummary(result, process.cwd()));
 */
export function formatSummary(r: DemoResult, cwd: string): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const delta = r.budget.delta < 1e-3 ? r.budget.delta.toExponential() : String(r.budget.delta);
  const note = r.epsilonCaveat === null ? '' : ` (${r.epsilonCaveat})`; // on every epsilon of a seeded run
  const lines = [
    '',
    'dpledger demo: done',
    `  dataset         ${r.dataset}`,
    `  training        ${r.stepsTaken} of ${r.steps} DP-SGD steps${r.stoppedByBudget ? ' (stopped by the budget)' : ''}, ${r.trainSize} images, q ${r.samplingProbability.toPrecision(3)}, sigma ${r.noiseMultiplier.toFixed(3)}, ${r.backend}`,
    `  test accuracy   ${pct(r.testAccuracy)} on ${r.testSize} test images`,
    `  epsilon (RDP)   ${formatEpsilon(r.epsilonRdp, 4)}${r.rdpOrder !== undefined ? ` at order ${r.rdpOrder}` : ''}, delta ${delta}${note}`,
    `  epsilon (PLD)   ${r.epsilonPld === null ? 'not in the report' : `${formatEpsilon(r.epsilonPld, 4)}${note}`}`,
    `  audit           ${r.audit === null ? 'none (--canaries 0)' : `epsilon_lower ${formatEpsilon(r.audit.epsilonLower, { decimals: 3, direction: 'down' })} from ${r.audit.correct} of ${r.audit.guesses} right guesses on ${r.audit.canaries} gradient canaries: ${r.audit.passed ? 'PASS (a lower bound at or below the accounted epsilon)' : 'FAIL (measured privacy loss above the accounted epsilon)'}`}`,
    `  budget          epsilon ${r.budget.epsilon} at delta ${delta} (budget ${r.budget.id}, run ${r.runId})`,
    ...(r.noiseRng === 'seeded'
      ? ['  randomness      seeded (--seed): anyone who learns the seed can remove the noise; keep it secret']
      : []),
    `  report          ${shown(r.files.reportJson, cwd)} (signed by key ${r.keyid}, verified)`,
    `  readable        ${shown(r.files.html, cwd)}, ${shown(r.files.pdf, cwd)} (event log: ${shown(r.files.events, cwd)})`,
    `  model           ${shown(r.files.model, cwd)}/model.json + weights.bin`,
    `  wall time       ${r.wallSeconds.toFixed(0)} s`,
    '',
    'Re-verify the report offline, with no server:',
    `  ${verifyCommand(r, cwd)}`,
    '',
  ];
  return lines.join('\n');
}
