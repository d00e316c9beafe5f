import { CliError } from '../cli-error.js';

export const summary = 'report (being built)';

export async function run(_argv: string[]): Promise<number> {
  throw new CliError('dpledger report is not available in this build', 1);
}
