/**
 * Following a list's `next_cursor` from the first page to the last, in one place (budgets, runs, a run's event
 * log). The cursor is opaque: the service decides where a page ends and omits `next_cursor` on the last one.
 */

/**
 * Every item of every page, in order: asks for the first page (cursor undefined), then for the page after each
 * answer's `next_cursor` until an answer has none.
 * @example await allPages((cursor) => getEventsPage(runId, cursor), (page) => page.events)
 */
export async function allPages<P extends { next_cursor?: string }, T>(
  page: (cursor: string | undefined) => Promise<P>,
  items: (page: P) => readonly T[],
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    out.push(...items(p));
    cursor = p.next_cursor;
  } while (cursor !== undefined);
  return out;
}
