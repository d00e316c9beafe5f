/**
 * Checks a request body must pass before the OpenAPI validator sees it: a UTF-8 charset (RFC 8259 section 8.1),
 * bounded nesting (ajv recurses per level and overflows the stack near 1,000), and well-formed Unicode strings
 * (a lone surrogate cannot be stored as UTF-8 without being replaced).
 */
import type { NextFunction, Request, Response } from 'express';
import { ServiceError } from '../errors.js';

/**
 * Deepest JSON nesting of a body. A DpEvent may nest 64 deep (@dpledger/api MAX_DEPTH), which is at most
 * two JSON levels per event level (`composed.events[i]`) plus the request's own wrapper.
 */
export const MAX_BODY_DEPTH = 2 * 64 + 8;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** RFC 6901 escaping of one reference token. */
const token = (k: string | number) => String(k).replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The first problem of a parsed JSON value: nesting deeper than `maxDepth`, or a string (value or key) with a
 * lone surrogate. Recursion stops at `maxDepth`, so a hostile body cannot exhaust the stack here.
 * @example bodyProblem({ a: '\ud800' }) // { pointer: '/a', message: 'a string holds a lone surrogate' }
 */
export function bodyProblem(
  value: unknown,
  maxDepth = MAX_BODY_DEPTH,
  depth = 0,
  at = '',
): { pointer: string; message: string } | undefined {
  if (typeof value === 'string')
    return LONE_SURROGATE.test(value)
      ? { pointer: at, message: 'a string holds a lone surrogate (invalid Unicode)' }
      : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= maxDepth) return { pointer: at, message: `the body is nested deeper than ${maxDepth} levels` };
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  for (const [k, v] of entries) {
    if (typeof k === 'string' && LONE_SURROGATE.test(k))
      return { pointer: `${at}/${token(k)}`, message: 'a member name holds a lone surrogate (invalid Unicode)' };
    const p = bodyProblem(v, maxDepth, depth + 1, `${at}/${token(k)}`);
    if (p !== undefined) return p;
  }
  return undefined;
}

/**
 * Middleware before the JSON parser: 415 for a body whose charset is not UTF-8.
 * @example router.use(requireUtf8)
 */
export function requireUtf8(req: Request, _res: Response, next: NextFunction): void {
  const type = req.headers['content-type'];
  const charset =
    typeof type === 'string' ? /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(type)?.[1]?.toLowerCase() : undefined;
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    throw new ServiceError(
      'unsupported_media_type',
      `charset ${JSON.stringify(charset.slice(0, 32))} is not supported; send UTF-8`,
    );
  next();
}

/**
 * Middleware after the JSON parser: 400 for a body nested too deep or holding a lone surrogate.
 * @example router.use(express.json(), checkBody)
 */
export function checkBody(req: Request, _res: Response, next: NextFunction): void {
  const problem = bodyProblem(req.body);
  if (problem !== undefined)
    throw new ServiceError('validation_failed', problem.message, { pointer: problem.pointer, errors: [problem] });
  next();
}
