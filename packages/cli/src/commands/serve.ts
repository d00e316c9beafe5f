/** `dpledger serve`: the accountant service on a port (SQLite in a data directory, or PostgreSQL), until SIGINT or SIGTERM. */
import { startAccountant } from '@dpledger/accountant';
import { numberFlag, parseFlags } from '../args.js';

export const summary = 'run the accountant service (budgets, run ledgers, signed reports)';

const HELP = `usage: dpledger serve [--port 8080] [--host 127.0.0.1] [--data-dir ./.dpledger] [--log-level info]
                     [--database-url postgres://...] [--pg-pool-size 10] [--pg-statement-timeout-ms 5000]

Starts the HTTP accountant. Data (SQLite, signing keys) lives in --data-dir. The admin token is
DPLEDGER_ADMIN_TOKEN when set; otherwise it is generated at first start into <data-dir>/admin-token (mode 0600).
--port 0 picks a free port. JSON logs go to stderr; the URL is printed on stdout.

With --database-url (or DPLEDGER_DATABASE_URL) the data lives in PostgreSQL instead, and several replicas may
share it; DPLEDGER_ADMIN_TOKEN is then required. Missing schema migrations are applied at start under an advisory
lock (DPLEDGER_MIGRATE=off refuses to start on an old schema instead: run dpledger migrate). Pool size and statement
timeout also come from DPLEDGER_PG_POOL_SIZE and DPLEDGER_PG_STATEMENT_TIMEOUT_MS.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    'log-level': { type: 'string' },
    'database-url': { type: 'string' },
    'pg-pool-size': { type: 'string' },
    'pg-statement-timeout-ms': { type: 'string' },
  });
  if (values['help']) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const port = numberFlag('port', values['port'] as string | undefined, { min: 0, max: 65535, integer: true }) ?? 8080;
  const pgPoolSize = numberFlag('pg-pool-size', values['pg-pool-size'] as string | undefined, { min: 1, max: 1000, integer: true });
  const pgStatementTimeoutMs = numberFlag('pg-statement-timeout-ms', values['pg-statement-timeout-ms'] as string | undefined, { min: 1, integer: true });
  const databaseUrl = values['database-url'] as string | undefined;
  const svc = await startAccountant({
    port,
    ...(databaseUrl !== undefined ? { databaseUrl } : {}),
    ...(pgPoolSize !== undefined ? { pgPoolSize } : {}),
    ...(pgStatementTimeoutMs !== undefined ? { pgStatementTimeoutMs } : {}),
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
