/** Flag parsing for subcommands on node:util parseArgs, with one-line errors (exit 2). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './cli-error.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` strictly; unknown flags, missing values and stray positionals become CliError (exit 2). */
export interface ParsedFlags {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parseFlags(argv: string[], options: Options, allowPositionals = false): ParsedFlags {
  try {
    return parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' }, ...options },
      strict: true,
      allowPositionals,
    });
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message.split('\n')[0]! : String(err));
  }
}

/** A flag's value as a finite number in [min, max] (exclusive bounds via open flags), or a CliError naming the flag. */
export function numberFlag(
  name: string,
  raw: string | undefined,
  opts: { min?: number; max?: number; minOpen?: boolean; integer?: boolean } = {},
): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  const bad = (why: string): never => {
    throw new CliError(`--${name} ${why}, got '${raw}'`);
  };
  if (raw.trim() === '' || !Number.isFinite(v)) bad('must be a finite number');
  if (opts.integer && !Number.isSafeInteger(v)) bad('must be an integer');
  if (opts.min !== undefined && (opts.minOpen ? !(v > opts.min) : !(v >= opts.min)))
    bad(`must be ${opts.minOpen ? '>' : '>='} ${opts.min}`);
  if (opts.max !== undefined && !(v <= opts.max)) bad(`must be <= ${opts.max}`);
  return v;
}
