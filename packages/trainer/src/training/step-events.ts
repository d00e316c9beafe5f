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
 * - shuffle + Gaussian: gaussian(sigma) alone: a fixed-size batch from a shuffle claims no amplification
 *   (Chua et al. 2024); each example is in one batch per epoch, so per step the plain Gaussian is a valid bound.
 * - discrete Gaussian (any sampler): zcdp(rho), no amplification claimed (none is cited for it here).
 * @example stepEvent('poisson', 0.01, { noise: 'gaussian', noiseMultiplier: 1.1 })
 */
export function stepEvent(sampler: SamplerKind, samplingProbability: number, mech: StepMechanism): DpEvent {
  if (mech.noise === 'discrete_gaussian') return { kind: 'zcdp', rho: mech.rho, xi: 0 };
  const gaussian: DpEvent = { kind: 'gaussian', noise_multiplier: mech.noiseMultiplier };
  if (sampler === 'poisson') return { kind: 'poisson_sampled', sampling_probability: samplingProbability, event: gaussian };
  return gaussian;
}
