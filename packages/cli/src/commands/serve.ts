/**
 * `dpledger serve`: the accountant service on a port (SQLite in a data directory, or PostgreSQL), until SIGINT or
 * SIGTERM.
 */
import { parseTrustProxy, startAccountant, type StartOptions } from '@dpledger/accountant';
import { numberFlag, parseFlags } from '../args.js';
import { CliError } from '../cli-error.js';

export const summary = 'run the accountant service (budgets, run ledgers, signed reports)';

const HELP = `usage: dpledger serve [--port 8080] [--host 127.0.0.1] [--data-dir ./.dpledger] [--log-level info]
                      [--database-url postgres://...] [--pg-pool-size 10] [--pg-statement-timeout-ms 5000]
                      [--trust-proxy false] [--request-timeout 60] [--headers-timeout 20] [--keep-alive-timeout 65]
                      [--max-connections 1024] [--idempotency-retention-days 7] [--max-budgets 1000] [--max-runs 100000]

Starts the HTTP accountant. Data (SQLite, signing keys) lives in --data-dir. The admin token is
DPLEDGER_ADMIN_TOKEN when set; otherwise it is generated at first start into <data-dir>/admin-token (mode 0600).
--port 0 picks a free port. JSON logs go to stderr; the URL is printed on stdout.

With --database-url (or DPLEDGER_DATABASE_URL) the data lives in PostgreSQL instead, and several replicas may
share it; DPLEDGER_ADMIN_TOKEN is then required. Missing schema migrations are applied at start under an advisory
lock (DPLEDGER_MIGRATE=off refuses to start on an old schema instead: run dpledger migrate). Pool size and statement
timeout also come from DPLEDGER_PG_POOL_SIZE and DPLEDGER_PG_STATEMENT_TIMEOUT_MS.

--trust-proxy (DPLEDGER_TRUST_PROXY): the TLS proxy in front, as express's 'trust proxy': false (default),
  true, a hop count, or addresses/subnets such as 'loopback' or '10.0.0.0/8'. Then HTTPS requests get a Secure
  session cookie and HSTS, and login rate limits see the client's address.
Timeouts are in seconds (DPLEDGER_REQUEST_TIMEOUT_S, DPLEDGER_HEADERS_TIMEOUT_S, DPLEDGER_KEEP_ALIVE_TIMEOUT_S);
DPLEDGER_MAX_CONNECTIONS, DPLEDGER_IDEMPOTENCY_RETENTION_DAYS, DPLEDGER_MAX_BUDGETS and DPLEDGER_MAX_RUNS set the
others. A flag wins over its variable.`;

/** Integer flags and the StartOptions they set. */
const INT_FLAGS = {
  'request-timeout': 'requestTimeoutSeconds',
  'headers-timeout': 'headersTimeoutSeconds',
  'keep-alive-timeout': 'keepAliveTimeoutSeconds',
  'max-connections': 'maxConnections',
  'idempotency-retention-days': 'idempotencyRetentionDays',
  'max-budgets': 'maxBudgetsPerTenant',
  'max-runs': 'maxRunsPerTenant',
} as const;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    'log-level': { type: 'string' },
    'database-url': { type: 'string' },
    'pg-pool-size': { type: 'string' },
    'pg-statement-timeout-ms': { type: 'string' },
    'trust-proxy': { type: 'string' },
    ...Object.fromEntries(Object.keys(INT_FLAGS).map((k) => [k, { type: 'string' as const }])),
  });
  if (values['help']) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const port = numberFlag('port', values['port'] as string | undefined, { min: 0, max: 65535, integer: true }) ?? 8080;
  const pgPoolSize = numberFlag('pg-pool-size', values['pg-pool-size'] as string | undefined, {
    min: 1,
    max: 1000,
    integer: true,
  });
  const pgStatementTimeoutMs = numberFlag(
    'pg-statement-timeout-ms',
    values['pg-statement-timeout-ms'] as string | undefined,
    { min: 1, integer: true },
  );
  const databaseUrl = values['database-url'] as string | undefined;
  const settings: Partial<StartOptions> = {};
  for (const [flag, option] of Object.entries(INT_FLAGS)) {
    const v = numberFlag(flag, values[flag] as string | undefined, { min: 1, integer: true });
    if (v !== undefined) settings[option] = v;
  }
  const trustProxy = values['trust-proxy'] as string | undefined;
  if (trustProxy !== undefined) {
    try {
      settings.trustProxy = parseTrustProxy(trustProxy);
    } catch (err) {
      throw new CliError(`--trust-proxy: ${(err as Error).message}`);
    }
  }
  const svc = await startAccountant({
    ...settings,
    port,
    ...(databaseUrl !== undefined ? { databaseUrl } : {}),
    ...(pgPoolSize !== undefined ? { pgPoolSize } : {}),
    ...(pgStatementTimeoutMs !== undefined ? { pgStatementTimeoutMs } : {}),
    host: (values['host'] as string | undefined) ?? '127.0.0.1',
    dataDir: (values['data-dir'] as string | undefined) ?? './.dpledger',
    logLevel: (values['log-level'] as string | undefined) ?? 'info',
  });
  process.stdout.write(`dpledger accountant listening on ${svc.url}\n`);
  process.stdout.write(
    svc.adminTokenPath !== undefined
      ? `admin token: ${svc.adminTokenPath}\n`
      : 'admin token: from DPLEDGER_ADMIN_TOKEN\n',
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await svc.close();
  return 0;
}
