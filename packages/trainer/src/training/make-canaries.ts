/** Builds the canaries an audited trainer asked for: gradient (white-box) or input (black-box). */
import { GradientCanaries, type AuditOptions, type Canaries } from './canaries.js';
import { InputCanaries } from './input-canaries.js';
import type { RandomSource } from './random-source.js';
import type { DPTrainerOptions } from './trainer-options.js';

/**
 * The canaries of `audit`, drawn from `rng` (the run's sampling stream: secure by default).
 * @example makeCanaries({ canaries: 1000, kind: 'input' }, trainerOptions, rng)
 */
export function makeCanaries(audit: AuditOptions, options: DPTrainerOptions, rng: RandomSource): Canaries {
  if (audit.kind === 'input') return new InputCanaries(audit, options, rng);
  const sizes = options.model.trainableWeights.map((w) => w.shape.reduce<number>((a, b) => a * (b ?? 1), 1));
  return new GradientCanaries(audit, sizes, rng);
}
