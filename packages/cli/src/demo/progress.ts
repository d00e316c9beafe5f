/**
 * The demo's progress bar: step, epsilon spent (rounded up) / budget, the batch loss labelled "(private, not DP)"
 * (un-noised: console only, never in a file or a report), ETA. One redrawn line on a TTY, else ~10 lines.
 */
import { formatEpsilon } from '@dpledger/accounting';

/** One progress update. */
export interface ProgressState {
  step: number;
  totalSteps: number;
  epsilonSpent: number;
  epsilonBudget: number;
  /** The batch's un-noised mean loss (StepResult.private.loss): shown labelled private, never written anywhere. */
  privateLoss: number;
  elapsedMs: number;
  /** Printed after the epsilon (a seeded run's caveat). */
  epsilonNote?: string;
}

function clock(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * Formats one progress line.
 * @example
 * progressLine({ step: 30, totalSteps: 300, epsilonSpent: 0.9, epsilonBudget: 3, privateLoss: 1.2, elapsedMs: 6000 })
 * // 'step  30/300 [##··················]  eps 0.900 / 3  loss 1.200 (private, not DP)  ETA 0:54'
 */
export function progressLine(p: ProgressState, width = 20): string {
  const frac = p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 1;
  const filled = Math.round(frac * width);
  const eta = p.step > 0 ? (p.elapsedMs / p.step) * (p.totalSteps - p.step) : Number.NaN;
  const digits = String(p.totalSteps).length;
  const bar = `[${'#'.repeat(filled)}${'·'.repeat(width - filled)}]`;
  const note = p.epsilonNote ? ` (${p.epsilonNote})` : '';
  const loss = Number.isFinite(p.privateLoss) ? p.privateLoss.toFixed(3) : '-';
  return (
    `step ${String(p.step).padStart(digits)}/${p.totalSteps} ${bar}  ` +
    `eps ${formatEpsilon(p.epsilonSpent, 3)} / ${p.epsilonBudget}${note}  ` +
    `loss ${loss} (private, not DP)  ETA ${clock(eta)}`
  );
}

/**
 * Writes progress to a stream: redraws one line on a TTY, prints about every tenth step otherwise.
 * @example const bar = new ProgressBar(process.stderr); bar.update(state); bar.done();
 */
export class ProgressBar {
  #lastPrinted = 0;
  #drawn = false;

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean }) {}

  update(p: ProgressState): void {
    if (this.stream.isTTY === true) {
      this.stream.write(`\r${progressLine(p)}\x1b[K`);
      this.#drawn = true;
      return;
    }
    const every = Math.max(1, Math.ceil(p.totalSteps / 10));
    if (p.step === p.totalSteps || p.step - this.#lastPrinted >= every) {
      this.#lastPrinted = p.step;
      this.stream.write(`${progressLine(p)}\n`);
    }
  }

  /** Ends the redrawn line. */
  done(): void {
    if (this.#drawn) this.stream.write('\n');
    this.#drawn = false;
  }
}
