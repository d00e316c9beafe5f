import { CliError } from '../cli-error.js';

export const summary = 'train (being built)';

export async function run(_argv: string[]): Promise<number> {
  throw new CliError('dpledger train is not available in this build', 1);
}
