/** Local accountants from @dpledger/accounting, by name. */
import {
  accountantFactory,
  calibrateNoiseMultiplier,
  type AccountantKind,
  type DpEvent,
  type NeighboringRelation,
  type PrivacyAccountant,
} from '@dpledger/accounting';

export type { AccountantKind };

/**
 * A fresh accountant for the run's neighbouring relation (add_or_remove_one, what Poisson sampling amplifies, by
 * default).
 * @example makeAccountant('rdp').compose(event).getEpsilon(1e-5)
 */
export function makeAccountant(
  kind: AccountantKind,
  relation: NeighboringRelation = 'add_or_remove_one',
): PrivacyAccountant {
  return accountantFactory(kind, relation)();
}

/**
 * The smallest noise multiplier whose `steps` steps, each logged as `stepEventOf(sigma)`, stay within (epsilon, delta).
 * @example
 * const event = (s: number) => stepEvent('poisson', 0.004, { noise: 'gaussian', noiseMultiplier: s });
 * calibrate({ epsilon: 3, delta: 1e-5 }, 4690, 'rdp', event) // ~1.0
 */
export function calibrate(
  target: { epsilon: number; delta: number },
  steps: number,
  kind: AccountantKind,
  stepEventOf: (sigma: number) => DpEvent,
  relation: NeighboringRelation = 'add_or_remove_one',
): number {
  const makeEvent = (sigma: number): DpEvent => ({ kind: 'self_composed', count: steps, event: stepEventOf(sigma) });
  return calibrateNoiseMultiplier({
    targetEpsilon: target.epsilon,
    targetDelta: target.delta,
    makeAccountant: accountantFactory(kind, relation),
    makeEvent,
    bounds: [1e-3, 1e3],
  }).noiseMultiplier;
}
