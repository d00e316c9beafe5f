/** Errors of @dpledger/client: the service's problem+json answer, typed. */
import type { components } from '@dpledger/api';

export type Problem = components['schemas']['Problem'];
/** The problem codes of the service, plus the client's own for a transport failure or an unreadable answer. */
export type DpledgerErrorCode = Problem['code'] | 'network_error' | 'bad_response';

/**
 * A refused or failed request; `problem` is the service's RFC 9457 body when it sent one.
 * @example try { await c.getRun(id) } catch (e) { if (e instanceof DpledgerApiError && e.status === 404) ... }
 */
export class DpledgerApiError extends Error {
  override readonly name: string = 'DpledgerApiError';
  readonly status: number;
  readonly code: DpledgerErrorCode;
  readonly problem: Problem | undefined;

  constructor(
    status: number,
    code: DpledgerErrorCode,
    message: string,
    problem?: Problem,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.problem = problem;
  }
}

/** 409 budget_exhausted: the request would overspend its budget and nothing of it was stored. */
export class BudgetExhaustedError extends DpledgerApiError {
  override readonly name = 'BudgetExhaustedError';
}

/** The error of a non-2xx answer. */
export function errorFromResponse(status: number, body: unknown): DpledgerApiError {
  const p = body as Partial<Problem> | undefined;
  if (p !== undefined && p !== null && typeof p.code === 'string') {
    const message = `${status} ${p.code}: ${p.detail ?? p.title ?? ''}`;
    return p.code === 'budget_exhausted'
      ? new BudgetExhaustedError(status, p.code, message, p as Problem)
      : new DpledgerApiError(status, p.code, message, p as Problem);
  }
  return new DpledgerApiError(status, 'bad_response', `HTTP ${status} without a problem body`);
}
