/** `dpledger report <run-id>`: downloads a closed run's signed report (DSSE envelope JSON) to a file. */
import { writeFile } from 'node:fs/promises';
import { DpledgerApiError, createClient } from '@dpledger/client';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../args.js';

export const summary = "download a closed run's signed report";

const HELP = `usage: dpledger report <run-id> --server <url> [--out report.json] [--api-key <key>]

The API key comes from --api-key or DPLEDGER_API_KEY. Verify the file offline with dpledger verify.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { server: { type: 'string' }, out: { type: 'string' }, 'api-key': { type: 'string' } },
    true,
  );
  if (values['help']) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [runId, ...extra] = positionals;
  if (runId === undefined || extra.length > 0) throw new CliError('expected exactly one <run-id>');
  const server = values['server'] as string | undefined;
  if (server === undefined) throw new CliError('--server <url> is required');
  const apiKey = (values['api-key'] as string | undefined) ?? process.env['DPLEDGER_API_KEY'];
  if (apiKey === undefined || apiKey === '')
    throw new CliError('an API key is required (--api-key or DPLEDGER_API_KEY)');
  const out = (values['out'] as string | undefined) ?? `${runId}.report.json`;
  try {
    const envelope = await createClient({ baseUrl: server, apiKey }).getReport(runId);
    await writeFile(out, `${JSON.stringify(envelope, null, 2)}\n`);
    process.stdout.write(
      `wrote the signed report of run ${runId} to ${out} (key ${envelope.signatures[0]?.keyid ?? 'unknown'})\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof DpledgerApiError) throw new CliError(`${server}: ${err.message}`, 1);
    throw err;
  }
}
