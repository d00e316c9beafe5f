/** @dpledger/client: the typed HTTP client of the dpledger accountant, with idempotent retries. */
export {
  createClient,
  createApiKey,
  fetchKeys,
  listApiKeys,
  revokeApiKey,
  type ClientOptions,
  type IdempotencyOption,
  type PageOptions,
  type DpledgerClient,
  type AuditBody,
} from './client.js';
export { DpledgerApiError, BudgetExhaustedError, type DpledgerErrorCode, type Problem } from './errors.js';
export { retryingFetch, type Fetch } from './retry-fetch.js';
