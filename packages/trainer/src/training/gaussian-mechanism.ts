/** The Gaussian mechanism on the clipped gradient sum: each coordinate gets N(0, (multiplier * C)^2). */
import * as tf from '@tensorflow/tfjs';
import { fail } from './fail.js';

/**
 * Returns `sums[i] * scale + zFactor * z_i` for each tensor, where `z` holds Gaussian samples for all of them in order
 * (drawn in JS, so secure mode never touches tfjs's RNG) and `scale` is 1 / expected batch size; a `zFactor` of 1 (z
 * already scaled) saves a tensor op. Each slice of `z` is uploaded once and dropped; inputs are not disposed.
 * @example const grads = addScaledNoise(sums, unitNoise, (1.1 * 1.0) / 256, 1 / 256);
 */
export function addScaledNoise(sums: readonly tf.Tensor[], z: Float32Array, zFactor: number, scale: number): tf.Tensor[] {
  if (!(zFactor >= 0 && Number.isFinite(zFactor))) fail('invalid_argument', `noise scale must be finite and >= 0, got ${zFactor}`);
  const total = sums.reduce((n, s) => n + s.size, 0);
  if (z.length !== total) fail('invalid_argument', `noise buffer has ${z.length} samples for ${total} coordinates`);
  let offset = 0;
  return sums.map((s) => {
    const part = z.subarray(offset, (offset += s.size));
    return tf.tidy(() => {
      const noise = tf.tensor(part, s.shape, 'float32');
      return tf.add(tf.mul(s, scale), zFactor === 1 ? noise : tf.mul(noise, zFactor));
    });
  });
}
