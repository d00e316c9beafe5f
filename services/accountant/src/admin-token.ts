/** The admin token: DPLEDGER_ADMIN_TOKEN, or one generated at first start into the data dir (mode 0600). */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newSecret } from './ids.js';

export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * The token given, or the one stored in `dataDir` (generated with mode 0600 when absent), with its path.
 * @example const { token, path } = resolveAdminToken('./.dpledger', process.env.DPLEDGER_ADMIN_TOKEN)
 */
export function resolveAdminToken(dataDir: string, given?: string): { token: string; path?: string } {
  if (given !== undefined && given !== '') return { token: given };
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), path };
  const token = `dpa_${newSecret()}`;
  try {
    writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process sharing the data dir wrote it first: use that one.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { token: readFileSync(path, 'utf8').trim(), path };
    throw err;
  }
  chmodSync(path, 0o600);
  return { token, path };
}
