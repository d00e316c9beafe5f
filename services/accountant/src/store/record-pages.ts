/**
 * Paging through a run's event log, in one place: every reader that walks a log (the dashboard's full read and its
 * curve, the Merkle backfills of old databases) asks for records with sequence > `after`, `limit` at a time, and
 * goes on after the last record of a full page. (`@dpledger/client` follows the HTTP API's opaque `next_cursor`
 * instead: the service decides its pages.)
 */

/** Reads a run's records with sequence > `after`, oldest first, at most `limit`. */
export type RecordReader<R> = (after: number, limit: number) => Promise<readonly R[]>;

/** Where to start, how many records per read, and the sequence to stop before (default: the end of the log). */
export interface PageRange {
  after?: number;
  limit: number;
  end?: number;
}

/**
 * The `after` of the next read, or undefined when the log is done: a short page is the last one, and so is a page
 * that reaches `end`.
 * @example nextAfter([{ sequence: 3 }, { sequence: 4 }], 2) // 4
 */
export function nextAfter(page: readonly { sequence: number }[], limit: number, end = Infinity): number | undefined {
  const last = page[page.length - 1];
  if (last === undefined || page.length < limit || last.sequence >= end - 1) return undefined;
  return last.sequence;
}

/** How many records the read after `after` asks for: `limit`, or fewer when `end` is nearer. */
function sizeAfter(after: number, { limit, end = Infinity }: PageRange): number {
  return Math.min(limit, end - 1 - after);
}

/**
 * Every non-empty page of the log from `after`, in order.
 * @example for await (const page of recordPages((a, n) => store.listEvents(runId, a, n), { limit: 5000 })) use(page);
 */
export async function* recordPages<R extends { sequence: number }>(
  read: RecordReader<R>,
  range: PageRange,
): AsyncGenerator<readonly R[]> {
  for (let after: number | undefined = range.after ?? -1; after !== undefined && sizeAfter(after, range) > 0;) {
    const size = sizeAfter(after, range);
    const page = await read(after, size);
    if (page.length > 0) yield page;
    after = nextAfter(page, size, range.end);
  }
}

/**
 * `recordPages` for a synchronous reader (better-sqlite3 inside a transaction).
 * @example for (const page of recordPagesSync((a, n) => statement.all(runId, a, n), { limit: 10000 })) use(page);
 */
export function* recordPagesSync<R extends { sequence: number }>(
  read: (after: number, limit: number) => readonly R[],
  range: PageRange,
): Generator<readonly R[]> {
  for (let after: number | undefined = range.after ?? -1; after !== undefined && sizeAfter(after, range) > 0;) {
    const size = sizeAfter(after, range);
    const page = read(after, size);
    if (page.length > 0) yield page;
    after = nextAfter(page, size, range.end);
  }
}

/**
 * Every record of the log from `after`, in order.
 * @example await allRecords((a, n) => store.listEvents(runId, a, n), { limit: 5000 })
 */
export async function allRecords<R extends { sequence: number }>(
  read: RecordReader<R>,
  range: PageRange,
): Promise<R[]> {
  const out: R[] = [];
  for await (const page of recordPages(read, range)) out.push(...page);
  return out;
}
