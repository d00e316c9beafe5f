import { CliError } from '../cli-error.js';

export const summary = 'serve (being built)';

export async function run(_argv: string[]): Promise<number> {
  throw new CliError('dpledger serve is not available in this build', 1);
}
