import * as tf from '@tensorflow/tfjs';
import { normals } from './test-support.js';

/** One product of the BatchMatMul tests: operand shapes and transpose flags. */
export interface MatMulCase {
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
}

/** Products through every branch of the wasm path (batch-mat-mul.ts): flags materialised, large batches split. */
export const WASM_PATH_CASES: readonly MatMulCase[] = [
  { a: [64, 30], b: [64, 20], ta: true, tb: false }, // Dense weight gradient: x^T dy
  { a: [64, 20], b: [30, 20], ta: false, tb: true }, // Dense input gradient: dy W^T
  { a: [17, 9], b: [13, 17], ta: true, tb: true },
  { a: [5, 7, 3], b: [5, 7, 4], ta: true, tb: false },
  { a: [5, 3, 7], b: [5, 4, 7], ta: false, tb: true },
  { a: [2, 3, 4, 5], b: [2, 3, 5, 6], ta: false, tb: false },
  { a: [3, 128, 128], b: [3, 128, 64], ta: false, tb: false }, // large enough to run matrix by matrix
  { a: [1, 128, 128], b: [3, 128, 64], ta: false, tb: false }, // ... with a broadcast operand
  { a: [4, 128, 96], b: [1, 128, 128], ta: true, tb: false },
];

/**
 * Products at the edges of the native GEMM's blocking (native/gemm-kernel.h): partial 8 x 32 (AVX-512) and 6 x 16
 * (AVX2) tiles, K past one 256-deep block, N past one 512-wide block, and the MLP's two products.
 */
export const TILE_EDGE_CASES: readonly MatMulCase[] = [
  { a: [1, 1, 1], b: [1, 1, 1], ta: false, tb: false },
  { a: [1, 7, 5], b: [1, 5, 33], ta: false, tb: false },
  { a: [1, 300, 13], b: [1, 70, 300], ta: true, tb: true },
  { a: [2, 9, 257], b: [2, 257, 31], ta: false, tb: false },
  { a: [1, 17, 600], b: [1, 40, 600], ta: false, tb: true },
  { a: [3, 6, 20], b: [1, 20, 530], ta: false, tb: false },
  { a: [1, 20, 6], b: [4, 20, 16], ta: true, tb: false },
  { a: [1, 64, 784], b: [1, 784, 512], ta: false, tb: false },
  { a: [1, 64, 784], b: [1, 64, 512], ta: true, tb: false },
];

/**
 * The product of case `c` on seeded normal inputs, as a function for `valuesOn`.
 * @example const [cpu] = await valuesOn('cpu', product(WASM_PATH_CASES[0]!, 1));
 */
export function product(c: MatMulCase, seed: number): () => tf.Tensor[] {
  const av = normals(
    c.a.reduce((p, q) => p * q),
    seed,
  );
  const bv = normals(
    c.b.reduce((p, q) => p * q),
    seed + 1,
  );
  return () => [tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb)];
}
