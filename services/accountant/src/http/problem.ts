/** Every error becomes an RFC 9457 `application/problem+json` answer with a stable `code`. */
import { AccountingError, assertDpEvent } from '@dpledger/accounting';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { ServiceError, STATUS, type ServiceErrorCode } from '../errors.js';
import { StoreUnavailableError } from '../store/store-unavailable.js';

interface ValidatorError {
  status?: number;
  errors?: { path?: string; message?: string }[];
  type?: string;
}

const TITLES: Partial<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The value at a JSON pointer (RFC 6901) into `doc`, or undefined. */
function at(doc: unknown, pointer: string): unknown {
  let v = doc;
  for (const t of pointer.split('/').slice(1)) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[t.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

/**
 * A DpEvent that fails the spec's `oneOf` gets one message per branch, the first of them from a branch of
 * another kind ("must NOT have additional properties"). The accounting validator mirrors the spec's ranges
 * and knows the event's kind: its message and pointer name the real fault.
 */
function eventFault(
  errors: { pointer: string; message: string }[],
  body: unknown,
): { pointer: string; message: string } | undefined {
  const oneOf = errors.find((e) => e.message === 'must match exactly one schema in oneOf');
  if (oneOf === undefined) return undefined;
  try {
    assertDpEvent(at(body, oneOf.pointer), oneOf.pointer);
  } catch (err) {
    if (err instanceof AccountingError) return { pointer: err.pointer ?? oneOf.pointer, message: err.message };
  }
  return undefined;
}

/** Maps express-openapi-validator and body-parser errors to a ServiceError; anything else is `internal`. */
export function toServiceError(err: unknown, body?: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  // The database does not answer: 503 with Retry-After (never a 500); the request wrote nothing that was acknowledged.
  if (err instanceof StoreUnavailableError)
    return new ServiceError(
      'not_ready',
      'the database does not answer; retry shortly (with the same Idempotency-Key)',
      {},
      { cause: err },
    );
  const e = (err ?? {}) as ValidatorError;
  if (e.type === 'entity.parse.failed') return new ServiceError('malformed_json', 'the body is not valid JSON');
  if (e.type === 'entity.too.large') return new ServiceError('payload_too_large', 'the body is larger than the limit');
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported')
    return new ServiceError('unsupported_media_type', 'unsupported body encoding');
  const byStatus: Partial<Record<number, ServiceErrorCode>> = {
    400: 'validation_failed',
    401: 'unauthorized',
    404: 'not_found',
    405: 'method_not_allowed',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
  };
  const code = e.status === undefined ? undefined : byStatus[e.status];
  if (code !== undefined) {
    const reported = (e.errors ?? []).map((x) => ({
      pointer: pathToPointer(x.path ?? ''),
      message: String(x.message ?? ''),
    }));
    const fault = eventFault(reported, body);
    const errors = fault === undefined ? reported : [fault, ...reported];
    return new ServiceError(
      code,
      errors[0]?.message ?? (err instanceof Error ? err.message : code),
      errors.length > 0 ? { errors, pointer: errors[0]!.pointer } : {},
    );
  }
  return new ServiceError('internal', 'internal error', {}, { cause: err });
}

/** '/body/events/0/kind' or '.body.events[0].kind' as a JSON pointer into the body ('/events/0/kind'). */
function pathToPointer(path: string): string {
  const p = path.replace(/\[(\d+)\]/g, '/$1').replace(/\./g, '/');
  return p.replace(/^\/?(body|query|params|headers|path)(?=\/|$)/, '');
}

/** The problem+json body of an error. */
export function problemBody(err: ServiceError, instance?: string) {
  const status = STATUS[err.code];
  return {
    type: `https://dpledger.dev/problems/${err.code}`,
    title: TITLES[status] ?? err.code,
    status,
    code: err.code,
    detail: err.message,
    ...(instance ? { instance } : {}),
    ...err.extras,
  };
}

/** Seconds a client is asked to wait after a 503 (a database restart typically takes a few seconds). */
export const RETRY_AFTER_S = 1;

/** The express error handler: logs server faults (never bodies or headers) and answers problem+json. */
export function problemHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const se = toServiceError(err, req.body);
    if (se.code === 'internal') logger.error({ err, req_id: res.locals['reqId'] }, 'internal error');
    res.locals['problemCode'] = se.code;
    if (res.headersSent) return;
    if (se.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="dpledger"'); // RFC 6750 section 3
    if (se.status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_S)); // RFC 9110 section 10.2.3
    res
      .status(se.status)
      .type('application/problem+json')
      .send(JSON.stringify(problemBody(se, req.originalUrl.split('?')[0])));
  };
}
