/** Local accountants from @dpledger/accounting, by name. */
import { accountantFactory, calibrateNoiseMultiplier, type AccountantKind, type DpEvent, type PrivacyAccountant } from '@dpledger/accounting';

export type { AccountantKind };

/**
 * A fresh accountant for add-or-remove-one neighbours (what Poisson sampling amplifies).
 * @example makeAccountant('rdp').compose(event).getEpsilon(1e-5)
 */
export function makeAccountant(kind: AccountantKind): PrivacyAccountant {
  return accountantFactory(kind, 'add_or_remove_one')();
}

/**
 * The smallest noise multiplier whose `steps` steps, each logged as `stepEventOf(sigma)`, stay within (epsilon, delta).
 * @example calibrate({ epsilon: 3, delta: 1e-5 }, 4690, 'rdp', (s) => stepEvent('poisson', 0.004, { noise: 'gaussian', noiseMultiplier: s })) // ~1.0
 */
export function calibrate(target: { epsilon: number; delta: number }, steps: number, kind: AccountantKind, stepEventOf: (sigma: number) => DpEvent): number {
  const makeEvent = (sigma: number): DpEvent => ({ kind: 'self_composed', count: steps, event: stepEventOf(sigma) });
  return calibrateNoiseMultiplier({ targetEpsilon: target.epsilon, targetDelta: target.delta, accountant: kind, makeEvent, bounds: [1e-3, 1e3] }).noiseMultiplier;
}
