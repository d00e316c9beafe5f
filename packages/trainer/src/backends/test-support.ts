import * as tf from '@tensorflow/tfjs';
import { useBackend, type BackendName } from './use-backend.js';

/**
 * Seeded standard-normal values for tests, computed in JS so that every backend gets the same inputs.
 *
 * @example
 * const x = tf.tensor(normals(6, 1), [2, 3]);
 */
export function normals(size: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const uniform = (): number => {
    // mulberry32 (T. Ettinger, 2017): a 32-bit state generator, plenty for test inputs.
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(size);
  // Box-Muller transform (Box & Muller 1958): z = sqrt(-2 ln u1) cos(2 pi u2).
  for (let i = 0; i < size; i++) out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

/**
 * Runs `f` on backend `name` and returns its outputs' values (copied off the backend), for cross-backend tests.
 *
 * @example
 * const [onWasm] = await valuesOn('wasm', () => [tf.matMul(a, b)]);
 */
export async function valuesOn(name: BackendName, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await useBackend(name);
  const outs = tf.tidy(f);
  const values = outs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(outs);
  return values;
}

/**
 * Normwise relative error max|a - b| / max|b| (b the reference; 0 when both are all zeros).
 *
 * @example
 * relativeError(Float32Array.of(1, 2.0001), Float32Array.of(1, 2)); // 5e-5
 */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}
