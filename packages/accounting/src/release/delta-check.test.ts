import { describe, expect, it } from 'vitest';
import { deltaTooLarge } from '../index.js';

describe('deltaTooLarge', () => {
  it('accepts delta below 1/n and refuses 1/n and above', () => {
    expect(deltaTooLarge(1e-5, 60_000)).toBeNull();
    expect(deltaTooLarge(1 / 2001, 2000)).toBeNull();
    expect(deltaTooLarge(1 / 2000, 2000)).toMatch(/not below 1\/n = 0\.0005 \(n = 2000 records\)/);
    expect(deltaTooLarge(1e-3, 2000)).not.toBeNull();
    expect(deltaTooLarge(0.5, 1)).toBeNull();
    expect(deltaTooLarge(1, 1)).not.toBeNull();
  });
});
