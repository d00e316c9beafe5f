/** Local accountants from @dpledger/accounting, by name. */
import { accountantFactory, calibrateNoiseMultiplier, type AccountantKind, type PrivacyAccountant } from '@dpledger/accounting';

export type { AccountantKind };

/**
 * A fresh accountant for add-or-remove-one neighbours (what Poisson sampling amplifies).
 * @example makeAccountant('rdp').compose(event).getEpsilon(1e-5)
 */
export function makeAccountant(kind: AccountantKind): PrivacyAccountant {
  return accountantFactory(kind, 'add_or_remove_one')();
}

/**
 * The smallest noise multiplier whose `steps` Poisson-sampled Gaussian steps stay within (epsilon, delta).
 * @example calibrate({ epsilon: 3, delta: 1e-5 }, 0.004, 4690, 'rdp') // ~1.0
 */
export function calibrate(target: { epsilon: number; delta: number }, samplingProbability: number, steps: number, kind: AccountantKind): number {
  return calibrateNoiseMultiplier({ targetEpsilon: target.epsilon, targetDelta: target.delta, samplingProbability, steps, accountant: kind }).noiseMultiplier;
}
