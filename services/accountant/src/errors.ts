/** The one error class of the accountant service: a stable `code`, its HTTP status, and problem+json extras. */
import type { components } from '@dpledger/api';

/** Every problem `code` the service answers with (openapi.yaml `Problem.code`). */
export type ServiceErrorCode = components['schemas']['Problem']['code'];

/** The HTTP status of each code; exhaustive, so a new code cannot ship without a status. */
export const STATUS: Record<ServiceErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  malformed_json: 400,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  run_closed: 409,
  run_open: 409,
  budget_exhausted: 409,
  delta_too_large: 422,
  unsupported_event: 400,
  idempotency_mismatch: 422,
  idempotency_expired: 422,
  reservation_closed: 409,
  reservation_exceeded: 409,
  limit_exceeded: 422,
  unsupported_media_type: 415,
  method_not_allowed: 405,
  not_ready: 503,
  internal: 500,
};

/** Extra problem+json members (RFC 9457 extension members); never secrets. */
export interface ProblemExtras {
  pointer?: string;
  errors?: { pointer: string; message: string }[];
  epsilon_spent?: number;
  epsilon_requested?: number;
  epsilon_limit?: number;
  /** The limit a `limit_exceeded` request went past (openapi.yaml "Limits"). */
  limit?: number;
}

/**
 * An error that becomes an `application/problem+json` answer.
 * @example throw new ServiceError('not_found', `run ${id} not found`)
 */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  readonly code: ServiceErrorCode;
  readonly extras: ProblemExtras;

  constructor(code: ServiceErrorCode, message: string, extras: ProblemExtras = {}, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.extras = extras;
  }

  get status(): number {
    return STATUS[this.code];
  }
}

/** Why the service cannot start: a setting or key it was given is wrong, or the database schema is not its own. */
export type StartupErrorCode = 'invalid_config' | 'schema_mismatch';

/**
 * An error raised before the service serves (settings, environment, signing-key encryption, database schema). It is
 * never an HTTP answer, so its codes are not problem codes; `dpledger serve` and `dpledger migrate` print it as one
 * line (exit 2 for `invalid_config`).
 * @example throw new StartupError('invalid_config', 'DPLEDGER_SQLITE_SYNCHRONOUS must be full or normal')
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';

  constructor(
    readonly code: StartupErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}
