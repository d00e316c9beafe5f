/**
 * The DpEvent one training step logs, chosen by what the step actually did (docs/design.md "Honest sampling and noise")
 * and priced under the neighbouring relation of the ledger it enters.
 */
import type { DpEvent, NeighboringRelation } from '@dpledger/accounting';
import type { SamplerKind } from './batch-sampler.js';
import { fail } from './fail.js';

/** Who drew the batch: the trainer's own sampler over the dataset it holds, or the caller of `step`. */
export type BatchOrigin = SamplerKind | 'caller';

/** How the step's noise is drawn and what it is accounted as. */
export type StepMechanism =
  | { noise: 'gaussian'; noiseMultiplier: number }
  /** discrete Gaussian: a zCDP cost per step already sized for `relation` (CKS 2020, Thm. 14), never amplified. */
  | { noise: 'discrete_gaussian'; rho: number };

/**
 * One step's event, `noiseMultiplier` being the noise std over the clip norm C:
 * - trainer's Poisson batch + Gaussian, add_or_remove_one: poisson_sampled(q, gaussian(sigma)) (Abadi et al. 2016;
 *   Mironov, Talwar, Zhang 2019). Only a batch the trainer drew by Poisson sampling claims amplification.
 * - every other batch (the caller's, a shuffled one, a Poisson one under replace_one): gaussian without
 *   amplification, tagged with its relation. Add_or_remove_one: one record moves the clipped sum by at most C, so
 *   gaussian(sigma). Replace_one: by at most 2C (one clipped term out, one in: the standard replace-one sensitivity
 *   of a sum of norm-C terms), so gaussian(sigma / 2).
 * - shuffle is accounted under replace_one only: with n fixed, couple both runs on the same permutation of indices;
 *   every batch has the same b records but for the replaced one, so each step moves by at most 2C. Under
 *   add_or_remove_one the argument fails (floor(n/b) can differ between neighbours and the epochs misalign; Chua
 *   et al. 2024, "How private are DP-SGD implementations?"), so that pairing is refused.
 * - discrete Gaussian: zcdp(rho) tagged with the relation rho was sized for, never amplified here.
 * @example
 * stepEvent('poisson', 0.01, { noise: 'gaussian', noiseMultiplier: 1.1 }) // poisson_sampled(0.01, gaussian(1.1))
 */
export function stepEvent(
  origin: BatchOrigin,
  samplingProbability: number,
  mech: StepMechanism,
  relation: NeighboringRelation = 'add_or_remove_one',
): DpEvent {
  if (origin === 'shuffle' && relation !== 'replace_one') {
    fail(
      'invalid_argument',
      'shuffle batching is accounted under the replace_one relation only (the add_or_remove_one bound fails when ' +
        "the epochs of neighbouring datasets misalign): use neighboringRelation 'replace_one' (and a replace_one " +
        'accountant or budget), or the Poisson sampler',
    );
  }
  if (mech.noise === 'discrete_gaussian') return { kind: 'zcdp', rho: mech.rho, xi: 0, neighboring_relation: relation };
  if (origin === 'poisson' && relation === 'add_or_remove_one') {
    const gaussian = { kind: 'gaussian', noise_multiplier: mech.noiseMultiplier } as const;
    return { kind: 'poisson_sampled', sampling_probability: samplingProbability, event: gaussian };
  }
  const sensitivityInC = relation === 'replace_one' ? 2 : 1; // replace-one moves a sum of norm-C terms by 2C
  return { kind: 'gaussian', noise_multiplier: mech.noiseMultiplier / sensitivityInC, neighboring_relation: relation };
}
