/** Accountant and event factories: how calibration (and the CLI) reach accountants without knowing their classes. */
import type { PrivacyAccountant } from '../accountant.js';
import type { DpEvent, NeighboringRelation } from '../dp-event.js';
import { AccountingError } from '../errors.js';
import { PldAccountant } from '../pld/pld-accountant.js';
import { RdpAccountant } from '../rdp/rdp-accountant.js';

/** The accountants calibration can name. */
export type AccountantKind = 'rdp' | 'pld';
/** Makes a fresh, empty accountant. */
export type AccountantFactory = () => PrivacyAccountant;

const MAKERS: Record<AccountantKind, ((relation: NeighboringRelation) => PrivacyAccountant) | undefined> = {
  rdp: (neighboringRelation) => new RdpAccountant({ neighboringRelation }),
  pld: (neighboringRelation) => new PldAccountant({ neighboringRelation }),
};

/**
 * A factory of fresh accountants of `kind` (default orders / discretisation).
 * @example const make = accountantFactory('rdp'); make().compose(event).getEpsilon(1e-5)
 */
export function accountantFactory(
  kind: AccountantKind,
  neighboringRelation: NeighboringRelation = 'add_or_remove_one',
): AccountantFactory {
  if (!Object.hasOwn(MAKERS, kind)) {
    throw new AccountingError('invalid_argument', `unknown accountant '${String(kind)}' (expected rdp or pld)`);
  }
  const make = MAKERS[kind];
  if (make === undefined) {
    throw new AccountingError('invalid_argument', `the '${kind}' accountant is not available in this build`);
  }
  return () => make(neighboringRelation);
}

/**
 * `steps` DP-SGD steps: self_composed(poisson_sampled(q, gaussian(sigma)), steps) (docs/design.md "DpEvent").
 * @example dpSgdEvent(0.01, 1.1, 1000)
 */
export function dpSgdEvent(samplingProbability: number, noiseMultiplier: number, steps: number): DpEvent {
  return {
    kind: 'self_composed',
    count: steps,
    event: {
      kind: 'poisson_sampled',
      sampling_probability: samplingProbability,
      event: { kind: 'gaussian', noise_multiplier: noiseMultiplier },
    },
  };
}
