/**
 * The database does not answer (refused, cut, timed out, shutting down): the request is answered 503 `not_ready`
 * with Retry-After, never 500, and may be retried (with its Idempotency-Key) on this or another replica.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/**
 * SQLSTATE classes and codes meaning "the server is not there right now"
 * (https://www.postgresql.org/docs/15/errcodes-appendix.html).
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-4]$|57014$)/;

/** node-postgres's own messages for a lost, refused or timed-out connection (no SQLSTATE then). */
const UNAVAILABLE_MESSAGE = new RegExp(
  [
    'Connection terminated',
    'Connection ended unexpectedly',
    'timeout exceeded when trying to connect',
    'Query read timeout',
    'Client has encountered a connection error',
    'Cannot use a pool after calling end',
  ].join('|'),
  'i',
);

/**
 * Whether a PostgreSQL client error means the database is unreachable rather than that the statement is wrong.
 * @example isUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) // true
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (/^E[A-Z]+$/.test(code)) return true; // a socket error: ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, ...
    return UNAVAILABLE_SQLSTATE.test(code);
  }
  return UNAVAILABLE_MESSAGE.test(err.message);
}
