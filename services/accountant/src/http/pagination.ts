/**
 * Cursor pagination of the newest-first lists (budgets, runs): `limit` items per page and an opaque
 * `next_cursor`, the base64url of the last item's (created_at, id). A cursor never skips or repeats an item
 * that existed when the first page was read, however many are created meanwhile (they sort before it).
 */
import type { Request } from 'express';
import { ServiceError } from '../errors.js';
import type { Page, PageAfter } from '../store/store.js';

/** Items per page when the request names none, and the most it may ask for (openapi.yaml `ListLimit`). */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

/**
 * The page a list request asks for; fetches one item more than `limit` so that the answer knows whether more follow.
 * @example pageOf(req) // { limit: 101 } for GET /v1/budgets
 */
export function pageOf(req: Request): Page & { size: number } {
  const rawLimit = req.query['limit'];
  const size = typeof rawLimit === 'string' ? Number(rawLimit) : DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(size) || size < 1 || size > MAX_LIST_LIMIT) {
    throw new ServiceError('validation_failed', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}`, {
      pointer: '/limit',
    });
  }
  const cursor = req.query['cursor'];
  return typeof cursor === 'string'
    ? { size, limit: size + 1, after: decodeCursor(cursor) }
    : { size, limit: size + 1 };
}

/**
 * The items of one page and the cursor of the next (absent on the last page).
 * @example const { items, next_cursor } = pageAnswer(rows, page.size)
 */
export function pageAnswer<T extends PageAfter>(
  rows: readonly T[],
  size: number,
): { items: T[]; next_cursor?: string } {
  if (rows.length <= size) return { items: [...rows] };
  const items = rows.slice(0, size);
  const last = items[items.length - 1]!;
  return { items, next_cursor: Buffer.from(JSON.stringify([last.created_at, last.id])).toString('base64url') };
}

function decodeCursor(cursor: string): PageAfter {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string')
      return { created_at: v[0], id: v[1] };
  } catch {
    // falls through to the refusal below
  }
  throw new ServiceError('validation_failed', 'cursor is not a next_cursor of this list', { pointer: '/cursor' });
}
