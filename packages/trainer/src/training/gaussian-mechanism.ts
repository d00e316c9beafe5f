/** The Gaussian mechanism on the clipped gradient sum: each coordinate gets N(0, (multiplier * C)^2). */
import * as tf from '@tensorflow/tfjs';
import { fillGaussian } from './gaussian-noise.js';
import type { RandomSource } from './random-source.js';

/**
 * Returns `sums[i] + noise`, the noise drawn in JS from `rng` (so secure mode never touches tfjs's RNG) and added as
 * a tensor op on the active backend. Inputs are not disposed.
 * @example const noisy = addGaussianNoise(sums, 1.1 * 1.0, rng);
 */
export function addGaussianNoise(sums: readonly tf.Tensor[], std: number, rng: RandomSource): tf.Tensor[] {
  return sums.map((s) => {
    const noise = fillGaussian(rng, new Float32Array(s.size), std);
    return tf.tidy(() => tf.add(s, tf.tensor(noise, s.shape, 'float32')));
  });
}
