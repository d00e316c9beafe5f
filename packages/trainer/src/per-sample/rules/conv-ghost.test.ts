import { describe, expect, it } from 'vitest';
import { ghostIsCheaper } from './conv-ghost.js';

describe('ghostIsCheaper chooses per layer by cost', () => {
  it('materialises per-example filters on the tanh CNN and uses ghost norms on small maps with wide kernels', () => {
    expect(ghostIsCheaper(14 * 14, 8 * 8 * 1, 16)).toBe(false); // conv1: 196 positions, K = 64
    expect(ghostIsCheaper(5 * 5, 4 * 4 * 16, 32)).toBe(false); // conv2: 25 positions, K = 256
    expect(ghostIsCheaper(2 * 2, 3 * 3 * 16, 32)).toBe(true); // the convGhost fixture: 4 positions, K = 144
    expect(ghostIsCheaper(4 * 4, 3 * 3 * 256, 256)).toBe(true); // a deep 3x3x256 layer on a 4x4 map
  });
});
