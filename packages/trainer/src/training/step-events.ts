/**
 * The DpEvent one training step logs, chosen by what the step actually did (DESIGN.md "Honest sampling and noise").
 */
import type { DpEvent } from '@dpledger/accounting';
import type { SamplerKind } from './batch-sampler.js';

/** How the step's noise is drawn and what it is accounted as. */
export type StepMechanism =
  | { noise: 'gaussian'; noiseMultiplier: number }
  /** discrete Gaussian: a zCDP cost per step (Canonne, Kamath, Steinke 2020, Thm. 14), never amplified here. */
  | { noise: 'discrete_gaussian'; rho: number };

/**
 * One step's event:
 * - Poisson + Gaussian: poisson_sampled(q, gaussian(sigma)) (Abadi et al. 2016; Mironov, Talwar, Zhang 2019).
 * - shuffle + Gaussian: gaussian(sigma / 2) per step, no amplification claimed (Chua et al. 2024 show Poisson
 *   accounting does not hold for shuffling). Why sigma / 2: with add-or-remove neighbours D' = D + {z}, couple a
 *   uniform permutation of D' with the one of D obtained by deleting z (also uniform). Batches before z's position
 *   are equal; every later fixed-size batch is shifted by one, so it differs by a swap (one record out, one in):
 *   the clipped sum moves by at most 2C, i.e. a Gaussian with multiplier sigma / 2 at sensitivity C, every step.
 * - discrete Gaussian: zcdp(rho) (4 rho when shuffled), no amplification claimed (none is cited for it here).
 * @example stepEvent('poisson', 0.01, { noise: 'gaussian', noiseMultiplier: 1.1 })
 */
export function stepEvent(sampler: SamplerKind, samplingProbability: number, mech: StepMechanism): DpEvent {
  // zCDP rho scales with the squared sensitivity: a shuffled step's 2C (below) costs 4 rho
  if (mech.noise === 'discrete_gaussian') return { kind: 'zcdp', rho: sampler === 'shuffle' ? 4 * mech.rho : mech.rho, xi: 0 };
  const gaussian: DpEvent = { kind: 'gaussian', noise_multiplier: mech.noiseMultiplier };
  if (sampler === 'poisson') return { kind: 'poisson_sampled', sampling_probability: samplingProbability, event: gaussian };
  return { kind: 'gaussian', noise_multiplier: mech.noiseMultiplier / 2 }; // sensitivity 2C (see above)
}
