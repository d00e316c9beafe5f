import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allPages } from './all-pages.js';

/** A served list cut into pages of the given sizes, with opaque cursors (the index of the next page as text). */
function served(sizes: number[]) {
  const pages = sizes.map((n, p) => Array.from({ length: n }, (_, i) => `${p}.${i}`));
  const asked: (string | undefined)[] = [];
  const page = async (cursor: string | undefined) => {
    asked.push(cursor);
    const at = cursor === undefined ? 0 : Number(cursor.slice(1));
    return { items: pages[at]!, ...(at + 1 < pages.length ? { next_cursor: `p${at + 1}` } : {}) };
  };
  return { all: pages.flat(), asked, page };
}

describe('allPages (the one walk through a paged list)', () => {
  it('returns every item of every page in order, asking once per page, for any page sizes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 6 }), async (sizes) => {
        const s = served(sizes);
        expect(await allPages(s.page, (p) => p.items)).toEqual(s.all);
        expect(s.asked).toEqual([undefined, ...sizes.slice(1).map((_, i) => `p${i + 1}`)]);
      }),
    );
  });

  it('passes a page error through, with nothing returned', async () => {
    const err = new Error('HTTP 500');
    await expect(
      allPages(
        async () => Promise.reject(err),
        () => [],
      ),
    ).rejects.toBe(err);
  });
});
