/** DpEvents in short human form: poisson_sampled(q=0.01, gaussian(σ=1.1)) × 1,000. */
import type { DpEvent } from '@dpledger/accounting';
import { fmt } from './checks.js';

/**
 * A one-line description of an event, with the parameter names of dp_accounting's dp_event.py abbreviated.
 * @example describeEvent({ kind: 'gaussian', noise_multiplier: 1.1 }) // 'gaussian(σ=1.1)'
 */
export function describeEvent(e: DpEvent): string {
  switch (e.kind) {
    case 'gaussian':
      return `gaussian(σ=${fmt(e.noise_multiplier)})`;
    case 'laplace':
      return `laplace(b=${fmt(e.noise_multiplier)})`;
    case 'poisson_sampled':
      return `poisson_sampled(q=${fmt(e.sampling_probability)}, ${describeEvent(e.event)})`;
    case 'sampled_without_replacement':
      return `sampled_without_replacement(${e.sample_size} of ${e.source_dataset_size}, ${describeEvent(e.event)})`;
    case 'self_composed':
      return `${describeEvent(e.event)} × ${e.count.toLocaleString('en-US')}`;
    case 'composed':
      return e.events.length === 0 ? 'nothing' : e.events.map(describeEvent).join(' ; ');
    case 'epsilon_delta':
      return `epsilon_delta(ε=${fmt(e.epsilon)}, δ=${e.delta})`;
    default:
      return e.kind;
  }
}
