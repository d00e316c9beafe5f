/** `dpledger migrate`: checks and applies the store's schema migrations (PostgreSQL or the SQLite data dir). */
import { resolve } from 'node:path';
import { DATABASE_FILE, SCHEMA_VERSION, migrateDatabase, openSqliteStore } from '@dpledger/accountant';
import { parseFlags } from '../args.js';
import { CliError } from '../cli-error.js';

export const summary = 'check or apply the accountant database schema migrations';

const HELP = `usage: dpledger migrate [--database-url postgres://...] [--data-dir ./.dpledger] [--check]

Brings the accountant's database to the schema this version needs (version ${SCHEMA_VERSION}). With --database-url (or
DPLEDGER_DATABASE_URL) it migrates PostgreSQL under an advisory lock, so it is safe while replicas start; otherwise
the SQLite file in --data-dir. --check only reports: exit 0 when up to date, 1 when migrations are pending.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    'database-url': { type: 'string' },
    'data-dir': { type: 'string' },
    check: { type: 'boolean' },
  });
  if (values['help']) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const check = values['check'] === true;
  const url = (values['database-url'] as string | undefined) ?? process.env['DPLEDGER_DATABASE_URL'];
  if (url === undefined || url === '') {
    if (check) throw new CliError('--check needs --database-url (a SQLite file is migrated whenever it is opened)');
    const file = resolve((values['data-dir'] as string | undefined) ?? './.dpledger', DATABASE_FILE);
    const store = openSqliteStore(file);
    await store.close();
    process.stdout.write(`sqlite ${file}: schema version ${SCHEMA_VERSION}\n`);
    return 0;
  }
  try {
    const s = await migrateDatabase(url, { apply: !check });
    if (check) {
      process.stdout.write(
        `postgres: schema version ${s.from}, this service needs ${SCHEMA_VERSION}` +
          `${s.from === SCHEMA_VERSION ? ' (up to date)' : ' (run dpledger migrate)'}\n`,
      );
      return s.from === SCHEMA_VERSION ? 0 : 1;
    }
    process.stdout.write(
      s.applied.length === 0
        ? `postgres: schema version ${s.to} (up to date)\n`
        : `postgres: schema version ${s.from} -> ${s.to} (applied ${s.applied.join(', ')})\n`,
    );
    return 0;
  } catch (err) {
    throw new CliError(`migrate failed: ${err instanceof Error ? err.message : String(err)}`, 1);
  }
}
