/** What the dashboard reads: a tenant-scoped view of the service's store, plus API-key login and the public keys. */
import type { components } from '@dpledger/api';

type S = components['schemas'];
export type DashboardBudget = S['Budget'];
export type DashboardRun = S['Run'];
export type DashboardEventRecord = S['EventRecord'];
export type DashboardEnvelope = S['DsseEnvelope'];
export type DashboardJwk = S['Jwk'];

/** Who logged in: the tenant, and the id of the API key used (absent where the source has no key ids). */
export interface DashboardLogin {
  tenant: string;
  keyId?: string;
}

/**
 * Every read is scoped to a tenant: an id that belongs to another tenant reads as absent, exactly as the API's 404.
 * The service builds one from its Store (see `storeSource`); tests may hand in their own.
 */
export interface DashboardSource {
  /**
   * The tenant an API key belongs to and the key's id, or undefined for an unknown or revoked key. A session opened
   * with a `keyId` is refused once that key is revoked (by a store-backed session table).
   */
  authenticate(apiKey: string): Promise<DashboardLogin | undefined>;
  listBudgets(tenant: string): Promise<DashboardBudget[]>;
  /** The tenant's runs, newest first. */
  listRuns(tenant: string): Promise<DashboardRun[]>;
  getRun(tenant: string, runId: string): Promise<DashboardRun | undefined>;
  /** The run's whole event log in sequence order. */
  listEvents(tenant: string, runId: string): Promise<DashboardEventRecord[]>;
  /** A page of the run's log: records with sequence > `after`, oldest first (the curve reads only new records). */
  listEventsAfter?(tenant: string, runId: string, after: number, limit: number): Promise<DashboardEventRecord[]>;
  /** The signed report of a closed run, or undefined while it is open. */
  getReport(tenant: string, runId: string): Promise<DashboardEnvelope | undefined>;
  /** Every public key that has signed or signs reports. */
  listKeys(): Promise<DashboardJwk[]>;
}
