/**
 * The one mapper from anything a command throws to what the user sees: one line on stderr and an exit code,
 * never a stack trace (set DPLEDGER_DEBUG=1 to get the stack of an unexpected error).
 * Exit codes: 2 bad usage, config or argument; 3 a budget refused the work; 1 any other failure.
 */
import { AccountingError } from '@dpledger/accounting';
import { AuditError } from '@dpledger/audit';
import { DpledgerApiError } from '@dpledger/client';
import { CliError } from './cli-error.js';

/** What the CLI prints for an error (without the trailing newline) and the exit code it ends with. */
export interface ErrorLine {
  line: string;
  exitCode: number;
}

/** Codes of the packages' error classes that mean the caller asked for something wrong (exit 2). */
const USAGE_CODES = new Set(['invalid_argument', 'bad_input', 'invalid_event']);

/** Collapses a message to one line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * TrainerError is recognised by its name: importing @dpledger/trainer here would load tfjs for every command
 * (`dpledger --version` included), and its `name` and `code` are part of its stable surface.
 */
function isTrainerError(err: unknown): err is Error & { code: string } {
  return err instanceof Error && err.name === 'TrainerError' && typeof (err as { code?: unknown }).code === 'string';
}

/**
 * Maps a thrown value to one line and an exit code.
 * @example errorLine(new CliError('missing --config <file.json>')) // { line: 'dpledger: missing --config <file.json>', exitCode: 2 }
 */
export function errorLine(err: unknown, debug = false): ErrorLine {
  const line = (text: string) => `dpledger: ${oneLine(text)}`;
  if (err instanceof CliError) return { line: line(err.message), exitCode: err.exitCode };
  if (err instanceof DpledgerApiError) {
    // its message already reads "<status> <code>: <detail>"
    return { line: line(`accountant: ${err.message}`), exitCode: err.code === 'budget_exhausted' ? 3 : 1 };
  }
  if (err instanceof AuditError || err instanceof AccountingError || isTrainerError(err)) {
    const where = err instanceof AuditError ? 'report' : err instanceof AccountingError ? 'accounting' : 'trainer';
    return { line: line(`${where}: ${err.code}: ${err.message}`), exitCode: USAGE_CODES.has(err.code) ? 2 : 1 };
  }
  if (err instanceof Error) return { line: debug ? `dpledger: ${err.stack ?? err.message}` : line(`${err.name}: ${err.message}`), exitCode: 1 };
  return { line: line(String(err)), exitCode: 1 };
}
