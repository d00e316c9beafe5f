import { CliError } from '../cli-error.js';

export const summary = 'calibrate (being built)';

export async function run(_argv: string[]): Promise<number> {
  throw new CliError('dpledger calibrate is not available in this build', 1);
}
