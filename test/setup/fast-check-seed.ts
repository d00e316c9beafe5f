/**
 * The one fast-check seed of a test run: 424242 unless FC_SEED says otherwise (a safe integer, or `random` for a
 * fresh one). Every property in the project runs under it (fc.configureGlobal in ./fast-check.ts), so `npm test`
 * on a fresh clone always checks the same cases, and a failure names the seed that reproduces it.
 */
import { randomInt } from 'node:crypto';

/** The seed used when FC_SEED is unset or empty. */
export const DEFAULT_FC_SEED = 424242;

/**
 * Reads FC_SEED: unset or empty gives the default, `random` a fresh 31-bit seed, an integer itself.
 * @example resolveFcSeed('7') // 7
 */
export function resolveFcSeed(
  value: string | undefined,
  random: () => number = () => randomInt(0, 2 ** 31 - 1),
): number {
  const v = (value ?? '').trim();
  if (v === '') return DEFAULT_FC_SEED;
  if (v.toLowerCase() === 'random') return random();
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v)))
    throw new Error(`FC_SEED must be an integer or "random", got ${JSON.stringify(value)}`);
  return Number(v);
}

/** The line printed once per run. @example seedBanner(424242) */
export function seedBanner(seed: number): string {
  return `fast-check seed ${seed} (set FC_SEED=random or a number to change)`;
}
