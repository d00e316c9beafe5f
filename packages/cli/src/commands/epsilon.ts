import { CliError } from '../cli-error.js';

export const summary = 'epsilon (being built)';

export async function run(_argv: string[]): Promise<number> {
  throw new CliError('dpledger epsilon is not available in this build', 1);
}
