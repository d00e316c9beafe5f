/** The Gaussian mechanism on the clipped gradient sum: each coordinate gets N(0, (multiplier * C)^2). */
import * as tf from '@tensorflow/tfjs';
import { fail } from './fail.js';

/**
 * Returns `(sums[i] + std * z_i) * scale` for each tensor, where `z` holds N(0, 1) samples for all of them in order
 * (drawn in JS, so secure mode never touches tfjs's RNG) and `scale` is 1 / expected batch size. Each slice of `z` is
 * uploaded once and dropped; inputs are not disposed.
 * @example const grads = addScaledNoise(sums, await noise.next(), 1.1 * 1.0, 1 / 256);
 */
export function addScaledNoise(sums: readonly tf.Tensor[], z: Float32Array, std: number, scale: number): tf.Tensor[] {
  if (!(std >= 0 && Number.isFinite(std))) fail('invalid_argument', `noise std must be finite and >= 0, got ${std}`);
  const total = sums.reduce((n, s) => n + s.size, 0);
  if (z.length !== total) fail('invalid_argument', `noise buffer has ${z.length} samples for ${total} coordinates`);
  let offset = 0;
  return sums.map((s) => {
    const part = z.subarray(offset, (offset += s.size));
    return tf.tidy(() => tf.mul(tf.add(s, tf.mul(tf.tensor(part, s.shape, 'float32'), std)), scale));
  });
}
