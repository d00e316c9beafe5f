/** The accountant the demo talks to: one started in-process on `<out>/.dpledger`, or a running one (--server). */
import { join, resolve } from 'node:path';
import { startAccountant } from '@dpledger/accountant';
import { createApiKey, createClient } from '@dpledger/client';

type Client = ReturnType<typeof createClient>;

/** A connected demo tenant. */
export interface AccountantSession {
  baseUrl: string;
  client: Client;
  tenant: string;
  /** Says where the accountant is, for the user. */
  label: string;
  /** Where an in-process accountant keeps its data (absent with --server). */
  dataDir?: string;
  close(): Promise<void>;
}

/**
 * Starts (or connects to) an accountant and opens a tenant with a fresh API key.
 * @example const s = await openAccountant({ out: './dpledger-out' }); await s.close();
 */
export async function openAccountant(o: {
  out: string;
  server?: string;
  adminToken?: string;
  apiKey?: string;
  tenant?: string;
}): Promise<AccountantSession> {
  const tenant = o.tenant ?? 'demo';
  if (o.server !== undefined) {
    const baseUrl = o.server.replace(/\/+$/, '');
    const apiKey = o.apiKey ?? (await createApiKey(baseUrl, o.adminToken!, tenant)).api_key;
    return {
      baseUrl,
      client: createClient({ baseUrl, apiKey }),
      tenant,
      label: `accountant at ${baseUrl}`,
      close: async () => {},
    };
  }
  const dataDir = resolve(join(o.out, '.dpledger'));
  const service = await startAccountant({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
  try {
    const apiKey = (await createApiKey(service.url, service.adminToken, tenant)).api_key;
    return {
      baseUrl: service.url,
      client: createClient({ baseUrl: service.url, apiKey }),
      tenant,
      dataDir,
      label: `in-process accountant at ${service.url} (SQLite in ${dataDir})`,
      close: () => service.close(),
    };
  } catch (err) {
    await service.close();
    throw err;
  }
}
