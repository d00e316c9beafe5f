import { describe, expect, it } from 'vitest';
import { stepEvent } from './step-events.js';

describe('stepEvent', () => {
  it('claims Poisson amplification only for Poisson sampling with Gaussian noise', () => {
    expect(stepEvent('poisson', 0.01, { noise: 'gaussian', noiseMultiplier: 1.1 })).toEqual({ kind: 'poisson_sampled', sampling_probability: 0.01, event: { kind: 'gaussian', noise_multiplier: 1.1 } });
    expect(stepEvent('shuffle', 0.01, { noise: 'gaussian', noiseMultiplier: 1.1 })).toEqual({ kind: 'gaussian', noise_multiplier: 0.55 });
    expect(stepEvent('poisson', 0.01, { noise: 'discrete_gaussian', rho: 0.1 })).toEqual({ kind: 'zcdp', rho: 0.1, xi: 0 });
    expect(stepEvent('shuffle', 0.01, { noise: 'discrete_gaussian', rho: 0.1 })).toEqual({ kind: 'zcdp', rho: 0.4, xi: 0 });
  });
});
