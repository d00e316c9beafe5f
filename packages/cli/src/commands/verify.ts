import { CliError } from '../cli-error.js';

export const summary = 'verify (being built)';

export async function run(_argv: string[]): Promise<number> {
  throw new CliError('dpledger verify is not available in this build', 1);
}
