/** `dpledger demo`: the whole promise in one command (see ../demo/run-demo.ts). */
import { DEMO_USAGE, parseDemoOptions } from '../demo/options.js';
import { runDemo } from '../demo/run-demo.js';
import { formatSummary, verifyCommand } from '../demo/summary.js';

export const summary = 'train a DP model on Fashion-MNIST against the accountant and write its verified, signed report';

/**
 * Runs `dpledger demo`; the summary goes to stdout, progress and notes to stderr.
 * @example await run(['--steps', '40', '--out', './dpledger-out']) // 0
 */
export async function run(argv: string[]): Promise<number> {
  const opts = parseDemoOptions(argv);
  if (opts === 'help') {
    process.stdout.write(`${DEMO_USAGE}\n`);
    return 0;
  }
  const result = await runDemo(opts, { err: process.stderr });
  if (opts.json)
    process.stdout.write(
      `${JSON.stringify({ ...result, verify_command: verifyCommand(result, process.cwd()) }, null, 2)}\n`,
    );
  else process.stdout.write(formatSummary(result, process.cwd()));
  return 0;
}
