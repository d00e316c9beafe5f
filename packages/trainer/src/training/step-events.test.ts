import { describe, expect, it } from 'vitest';
import { stepEvent } from './step-events.js';

const g = { noise: 'gaussian', noiseMultiplier: 1.1 } as const;

describe('stepEvent', () => {
  it("claims Poisson amplification only for the trainer's own Poisson batch under add_or_remove_one", () => {
    expect(stepEvent('poisson', 0.01, g)).toEqual({
      kind: 'poisson_sampled',
      sampling_probability: 0.01,
      event: { kind: 'gaussian', noise_multiplier: 1.1 },
    });
    expect(stepEvent('poisson', 0.01, g, 'replace_one')).toEqual({
      kind: 'gaussian',
      noise_multiplier: 0.55,
      neighboring_relation: 'replace_one',
    });
  });

  it("caller-drawn batch: one unamplified Gaussian at the relation's sensitivity (C, or 2C under replace_one)", () => {
    expect(stepEvent('caller', 0.01, g)).toEqual({
      kind: 'gaussian',
      noise_multiplier: 1.1,
      neighboring_relation: 'add_or_remove_one',
    });
    expect(stepEvent('caller', 0.01, g, 'replace_one')).toEqual({
      kind: 'gaussian',
      noise_multiplier: 0.55,
      neighboring_relation: 'replace_one',
    });
  });

  it('shuffle is accounted under replace_one only (sensitivity 2C) and refused under add_or_remove_one', () => {
    expect(stepEvent('shuffle', 0.01, g, 'replace_one')).toEqual({
      kind: 'gaussian',
      noise_multiplier: 0.55,
      neighboring_relation: 'replace_one',
    });
    expect(() => stepEvent('shuffle', 0.01, g)).toThrow(
      expect.objectContaining({ code: 'invalid_argument', message: expect.stringMatching(/replace_one/) }),
    );
    expect(() => stepEvent('shuffle', 0.01, { noise: 'discrete_gaussian', rho: 0.1 }, 'add_or_remove_one')).toThrow(
      /replace_one/,
    );
  });

  it('discrete Gaussian steps are zcdp tagged with the relation their rho was sized for', () => {
    expect(stepEvent('poisson', 0.01, { noise: 'discrete_gaussian', rho: 0.1 })).toEqual({
      kind: 'zcdp',
      rho: 0.1,
      xi: 0,
      neighboring_relation: 'add_or_remove_one',
    });
    expect(stepEvent('shuffle', 0.01, { noise: 'discrete_gaussian', rho: 0.4 }, 'replace_one')).toEqual({
      kind: 'zcdp',
      rho: 0.4,
      xi: 0,
      neighboring_relation: 'replace_one',
    });
  });
});
