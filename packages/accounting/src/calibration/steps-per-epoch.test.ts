import { describe, expect, it } from 'vitest';
import { AccountingError, stepsForEpochs, stepsPerEpoch } from '@dpledger/accounting';

describe('stepsPerEpoch / stepsForEpochs (issue 14.4: one epoch length everywhere)', () => {
  it('Poisson: round(n/B) = round(1/q), so MNIST at B=256 is 234 steps an epoch (as the trainer runs), not 235', () => {
    expect(stepsPerEpoch({ sampler: 'poisson', datasetSize: 60000, expectedBatchSize: 256 })).toBe(234);
    expect(stepsPerEpoch({ sampler: 'poisson', samplingProbability: 256 / 60000 })).toBe(234);
    expect(stepsForEpochs(1, { sampler: 'poisson', samplingProbability: 256 / 60000 })).toBe(234);
    expect(stepsForEpochs(20, { sampler: 'poisson', datasetSize: 60000, expectedBatchSize: 256 })).toBe(4680);
    expect(stepsPerEpoch({ sampler: 'poisson', samplingProbability: 1 })).toBe(1);
    expect(stepsPerEpoch({ sampler: 'poisson', samplingProbability: 0.9 })).toBe(1); // never 0
    expect(stepsPerEpoch({ sampler: 'poisson', datasetSize: 100, expectedBatchSize: 7.5 })).toBe(13); // round(13.33)
  });

  it('shuffle: floor(n/B) full batches', () => {
    expect(stepsPerEpoch({ sampler: 'shuffle', datasetSize: 1000, expectedBatchSize: 400 })).toBe(2);
    expect(stepsPerEpoch({ sampler: 'poisson', datasetSize: 1000, expectedBatchSize: 400 })).toBe(3); // round(2.5)
    expect(stepsForEpochs(1.5, { sampler: 'shuffle', datasetSize: 1000, expectedBatchSize: 400 })).toBe(3);
  });

  it('fractional epochs round to the nearest step, at least one', () => {
    expect(stepsForEpochs(0.5, { sampler: 'poisson', samplingProbability: 0.01 })).toBe(50);
    expect(stepsForEpochs(1.003, { sampler: 'poisson', samplingProbability: 0.01 })).toBe(100);
    expect(stepsForEpochs(1e-6, { sampler: 'poisson', samplingProbability: 0.01 })).toBe(1);
  });

  it('refuses what is not an epoch', () => {
    for (const f of [
      () => stepsPerEpoch({ sampler: 'poisson', samplingProbability: 0 }),
      () => stepsPerEpoch({ sampler: 'poisson', samplingProbability: Number.NaN }),
      () => stepsPerEpoch({ sampler: 'shuffle', datasetSize: 10, expectedBatchSize: 11 }),
      () => stepsPerEpoch({ sampler: 'shuffle', datasetSize: 10.5, expectedBatchSize: 2 }),
      () => stepsPerEpoch({ sampler: 'shuffle', datasetSize: 10, expectedBatchSize: 2.5 }),
      () => stepsPerEpoch({ sampler: 'poisson', datasetSize: 10, expectedBatchSize: 0 }),
      () => stepsForEpochs(0, { sampler: 'poisson', samplingProbability: 0.1 }),
      () => stepsForEpochs(Infinity, { sampler: 'poisson', samplingProbability: 0.1 }),
    ])
      expect(f).toThrow(AccountingError);
  });
});
