/** `dpledger serve`: the accountant service on a port, SQLite in a data directory, until SIGINT or SIGTERM. */
import { startAccountant } from '@dpledger/accountant';
import { numberFlag, parseFlags } from '../args.js';

export const summary = 'run the accountant service (budgets, run ledgers, signed reports)';

const HELP = `usage: dpledger serve [--port 8080] [--host 127.0.0.1] [--data-dir ./.dpledger] [--log-level info]

Starts the HTTP accountant. Data (SQLite, signing keys) lives in --data-dir. The admin token is
DPLEDGER_ADMIN_TOKEN when set; otherwise it is generated at first start into <data-dir>/admin-token (mode 0600).
--port 0 picks a free port. JSON logs go to stderr; the URL is printed on stdout.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    'log-level': { type: 'string' },
  });
  if (values['help']) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const port = numberFlag('port', values['port'] as string | undefined, { min: 0, max: 65535, integer: true }) ?? 8080;
  const svc = await startAccountant({
    port,
    host: (values['host'] as string | undefined) ?? '127.0.0.1',
    dataDir: (values['data-dir'] as string | undefined) ?? './.dpledger',
    logLevel: (values['log-level'] as string | undefined) ?? 'info',
  });
  process.stdout.write(`dpledger accountant listening on ${svc.url}\n`);
  process.stdout.write(svc.adminTokenPath !== undefined ? `admin token: ${svc.adminTokenPath}\n` : 'admin token: from DPLEDGER_ADMIN_TOKEN\n');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await svc.close();
  return 0;
}
