/** Local accountants from @dpledger/accounting, by name. */
import * as accounting from '@dpledger/accounting';
import type { PrivacyAccountant } from '@dpledger/accounting';
import { fail } from './fail.js';

export type AccountantKind = 'rdp' | 'pld';

type Ctor = new (opts: Record<string, unknown>) => PrivacyAccountant;

function lookup<T>(name: string): T {
  const v = (accounting as unknown as Record<string, unknown>)[name];
  if (v === undefined) fail('invalid_argument', `@dpledger/accounting does not provide ${name} in this build`);
  return v as T;
}

/**
 * A fresh accountant for add-or-remove-one neighbours (what Poisson sampling amplifies).
 * @example makeAccountant('rdp').compose(event).getEpsilon(1e-5)
 */
export function makeAccountant(kind: AccountantKind): PrivacyAccountant {
  if (kind === 'rdp') return new (lookup<Ctor>('RdpAccountant'))({ neighboringRelation: 'add_or_remove_one' });
  if (kind === 'pld') return new (lookup<Ctor>('PldAccountant'))({ neighboringRelation: 'add_or_remove_one' });
  return fail('invalid_argument', `unknown accountant '${String(kind)}'`);
}

/**
 * The smallest noise multiplier whose `steps` Poisson-sampled Gaussian steps stay within (epsilon, delta).
 * @example calibrate({ epsilon: 3, delta: 1e-5 }, 0.004, 4690, 'rdp') // ~1.0
 */
export function calibrate(target: { epsilon: number; delta: number }, samplingProbability: number, steps: number, kind: AccountantKind): number {
  const fn = lookup<(o: Record<string, unknown>) => { noiseMultiplier: number }>('calibrateNoiseMultiplier');
  return fn({ targetEpsilon: target.epsilon, targetDelta: target.delta, samplingProbability, steps, accountant: kind }).noiseMultiplier;
}
