import { describe, expect, it } from 'vitest';
import { formatNumber, formatTable, formatUp } from './format-table.js';

describe('format-table', () => {
  it('aligns columns', () => {
    expect(
      formatTable(
        [{ header: 'name' }, { header: 'v', align: 'right' }],
        [
          ['a', '1.5'],
          ['bbbbb', '10'],
        ],
      ),
    ).toBe('name     v\n-----  ---\na      1.5\nbbbbb   10\n');
  });
  it('rounds figures up, never down', () => {
    expect(formatUp(1.51537)).toBe('1.5154');
    expect(formatUp(1.71170001)).toBe('1.7118');
    expect(formatUp(0.5)).toBe('0.5');
    expect(formatUp(Infinity)).toBe('inf');
    expect(formatNumber(1e-5)).toBe('0.00001');
  });
});

describe('formatUp', () => {
  it('never prints a figure below the value, even a hair above an exact decimal', () => {
    expect(formatUp(1.00000000000001, 5)).toBe('1.0001');
    expect(formatUp(0.5, 5)).toBe('0.5');
    expect(formatUp(1.51537)).toBe('1.5154');
  });
});
