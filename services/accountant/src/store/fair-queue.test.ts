import { describe, expect, it } from 'vitest';
import { FairQueue } from './fair-queue.js';

const drain = (q: FairQueue<string>) => Array.from({ length: q.length }, () => q.take()!);

describe('FairQueue', () => {
  it("serves tenants in turn: a tenant that queued later is not behind all of an earlier tenant's writes", () => {
    const q = new FairQueue<string>();
    for (let i = 0; i < 4; i++) q.push('a', `a${i}`, 1000);
    q.push('b', 'b0', 1);
    q.push('c', 'c0', 1);
    q.push('b', 'b1', 1);
    expect(q.length).toBe(7);
    expect(drain(q)).toEqual(['a0', 'b0', 'c0', 'a1', 'b1', 'a2', 'a3']);
    expect(q.take()).toBeUndefined();
    expect(q.peekWeight()).toBeUndefined();
  });

  it("keeps each tenant's arrival order and reports the weight of the write it would take next", () => {
    const q = new FairQueue<string>();
    q.push('a', 'a0', 1000);
    q.push('a', 'a1', 7);
    expect(q.peekWeight()).toBe(1000);
    expect(q.take()).toBe('a0');
    q.push('b', 'b0', 3);
    // a went behind every waiting tenant when a0 was taken, but b arrived after: a is still first in line
    expect(q.peekWeight()).toBe(7);
    expect(drain(q)).toEqual(['a1', 'b0']);
  });
});
