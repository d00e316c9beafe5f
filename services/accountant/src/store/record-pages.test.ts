import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allRecords, nextAfter, recordPages, recordPagesSync } from './record-pages.js';

/** A log of `n` records (sequence 0..n-1) read the way the stores read it, counting the reads. */
function log(n: number) {
  const records = Array.from({ length: n }, (_, sequence) => ({ sequence }));
  const reads: [number, number][] = [];
  const readSync = (after: number, limit: number) => {
    reads.push([after, limit]);
    return records.filter((r) => r.sequence > after).slice(0, limit);
  };
  return { records, reads, readSync, read: async (after: number, limit: number) => readSync(after, limit) };
}

describe('record pages (the one walk through a run event log)', () => {
  it('reads exactly the records after `after` and before `end`, in order, in at most n / limit + 1 reads', async () => {
    const range = fc.record({
      n: fc.nat({ max: 30 }),
      limit: fc.integer({ min: 1, max: 7 }),
      after: fc.integer({ min: -1, max: 31 }),
      end: fc.option(fc.nat({ max: 32 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(range, async ({ n, limit, after, end }) => {
        const l = log(n);
        const expected = l.records.filter((r) => r.sequence > after && (end === undefined || r.sequence < end));
        const pages: (readonly { sequence: number }[])[] = [];
        const r = { after, limit, ...(end === undefined ? {} : { end }) };
        for await (const p of recordPages(l.read, r)) pages.push(p);
        expect(pages.flat()).toEqual(expected);
        expect(pages.every((p) => p.length > 0 && p.length <= limit)).toBe(true);
        expect(l.reads.length).toBeLessThanOrEqual(Math.floor(expected.length / limit) + 1);
        const s = log(n);
        expect([...recordPagesSync(s.readSync, r)].flat()).toEqual(expected);
      }),
    );
  });

  it('stops after a short page and at `end` without another read', async () => {
    const l = log(10);
    expect(await allRecords(l.read, { limit: 4 })).toHaveLength(10);
    expect(l.reads).toEqual([
      [-1, 4],
      [3, 4],
      [7, 4],
    ]);
    const e = log(10);
    const middle = [2, 3, 4, 5, 6].map((sequence) => ({ sequence }));
    expect(await allRecords(e.read, { limit: 4, after: 1, end: 7 })).toEqual(middle);
    expect(e.reads).toEqual([
      [1, 4],
      [5, 1],
    ]);
    expect(nextAfter([], 4)).toBeUndefined();
  });
});
