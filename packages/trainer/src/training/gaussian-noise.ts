/**
 * Continuous Gaussian noise from a RandomSource, by the Box-Muller transform (Box & Muller 1958) on 53-bit uniforms.
 *
 * Floating-point caveat (Mironov 2012, "On significance of the least significant bits for differential privacy"):
 * a double or float32 sample is not an exact draw from N(0, s^2); its low-order bits and the set of reachable values
 * depend on the mean, which in theory can leak the unnoised value. The secure source removes predictable
 * randomness but not this effect. Use `noise: 'discrete_gaussian'` (Canonne, Kamath, Steinke 2020) when this matters:
 * it works on integers and is exact.
 */
import { uniform53, type RandomSource } from './random-source.js';
import { fail } from './fail.js';

const TWO_PI = 2 * Math.PI;

/**
 * Fills `out` with independent N(0, std^2) samples.
 * @example const z = fillGaussian(new SeededRandomSource(1), new Float32Array(1000), 0.5);
 */
export function fillGaussian(src: RandomSource, out: Float32Array | Float64Array, std: number): typeof out {
  if (!(std >= 0 && Number.isFinite(std))) fail('invalid_argument', `noise std must be finite and >= 0, got ${std}`);
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - uniform53(src); // in (0, 1]: log is finite
    const u2 = uniform53(src);
    // Box-Muller: r = sqrt(-2 ln u1), (r cos 2 pi u2, r sin 2 pi u2) are two independent N(0, 1)
    const r = std * Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(TWO_PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(TWO_PI * u2);
  }
  return out;
}
