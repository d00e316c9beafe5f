import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract } from '../testing/store-contract.js';
import { openSqliteStore } from './sqlite-store.js';

storeContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dpledger-contract-'));
  const store = openSqliteStore(join(dir, 'db.sqlite'));
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  };
  return store;
});
