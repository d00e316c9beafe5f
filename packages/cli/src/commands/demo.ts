import { CliError } from '../cli-error.js';

export const summary = 'demo (being built)';

export async function run(_argv: string[]): Promise<number> {
  throw new CliError('dpledger demo is not available in this build', 1);
}
