/**
 * The one mapper from anything a command throws to what the user sees: one line on stderr and an exit code,
 * never a stack trace (set DPLEDGER_DEBUG=1 to get the stack of an unexpected error).
 * Exit codes: 2 bad usage, config or argument; 3 a budget refused the work; 1 any other failure (a service error
 * that reaches the CLI, e.g. from `dpledger serve`, included).
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
const USAGE_CODES = new Set(['invalid_argument', 'bad_input', 'invalid_event', 'invalid_config']);

/** Collapses a message to one line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Error classes recognised by their name, and the part of the product they come from: importing
 * @dpledger/trainer or @dpledger/accountant here would load tfjs or express for every command (`dpledger --version`
 * included), and their `name` and `code` are part of their stable surface.
 */
const BY_NAME: Record<string, string> = {
  TrainerError: 'trainer',
  StartupError: 'accountant',
  ServiceError: 'accountant',
};

function namedCoded(err: unknown): (Error & { code: string }) | undefined {
  if (!(err instanceof Error) || BY_NAME[err.name] === undefined) return undefined;
  return typeof (err as { code?: unknown }).code === 'string' ? (err as Error & { code: string }) : undefined;
}

/**
 * Maps a thrown value to one line and an exit code.
 * @example
 * errorLine(new CliError('missing --config <file.json>'))
 * // { line: 'dpledger: missing --config <file.json>', exitCode: 2 }
 */
export function errorLine(err: unknown, debug = false): ErrorLine {
  const line = (text: string) => `dpledger: ${oneLine(text)}`;
  if (err instanceof CliError) return { line: line(err.message), exitCode: err.exitCode };
  if (err instanceof DpledgerApiError) {
    // its message already reads "<status> <code>: <detail>"
    return { line: line(`accountant: ${err.message}`), exitCode: err.code === 'budget_exhausted' ? 3 : 1 };
  }
  const coded = err instanceof AuditError || err instanceof AccountingError ? err : namedCoded(err);
  if (coded !== undefined) {
    const where =
      coded instanceof AuditError ? 'report' : coded instanceof AccountingError ? 'accounting' : BY_NAME[coded.name]!;
    return { line: line(`${where}: ${coded.code}: ${coded.message}`), exitCode: USAGE_CODES.has(coded.code) ? 2 : 1 };
  }
  if (err instanceof Error) {
    return { line: debug ? `dpledger: ${err.stack ?? err.message}` : line(`${err.name}: ${err.message}`), exitCode: 1 };
  }
  return { line: line(String(err)), exitCode: 1 };
}
