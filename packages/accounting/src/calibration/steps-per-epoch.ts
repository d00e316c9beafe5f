/**
 * How many DP-SGD steps an epoch is, decided in one place so that what is priced (`dpledger epsilon --epochs`),
 * what is calibrated for (a target epsilon over some epochs) and what the trainer runs are the same count.
 * Poisson sampling: an epoch is the expected number of batches to see n examples, n/B = 1/q, rounded to the
 * nearest integer (at least 1). Shuffle-and-partition: floor(n/B) full batches (the remainder is dropped).
 */
import { AccountingError } from '../errors.js';

/** The sampler and sizes that fix an epoch's length. */
export type EpochSpec =
  | { sampler: 'poisson'; samplingProbability: number }
  | { sampler: 'poisson' | 'shuffle'; datasetSize: number; expectedBatchSize: number };

function bad(what: string): never {
  throw new AccountingError('invalid_argument', what);
}

/**
 * DP-SGD steps in one epoch.
 * @example stepsPerEpoch({ sampler: 'poisson', datasetSize: 60000, expectedBatchSize: 256 }) // 234 (60000/256 = 234.4)
 */
export function stepsPerEpoch(spec: EpochSpec): number {
  if ('samplingProbability' in spec) {
    const q = spec.samplingProbability;
    if (!(q > 0 && q <= 1)) bad(`samplingProbability must be in (0, 1], got ${String(q)}`);
    return Math.max(1, Math.round(1 / q));
  }
  const { datasetSize: n, expectedBatchSize: b } = spec;
  if (!(Number.isSafeInteger(n) && n >= 1 && b > 0 && b <= n))
    bad(`need an integer datasetSize >= expectedBatchSize > 0, got ${String(n)} and ${String(b)}`);
  if (spec.sampler === 'shuffle') {
    if (!Number.isInteger(b)) bad(`shuffle batches need an integer expectedBatchSize, got ${String(b)}`);
    return Math.floor(n / b);
  }
  return Math.max(1, Math.round(n / b)); // a Poisson batch size is an expectation: it may be fractional
}

/**
 * DP-SGD steps in `epochs` epochs (> 0): round(epochs x stepsPerEpoch), at least 1. Calibrate for this count and
 * run exactly this count.
 * @example stepsForEpochs(1, { sampler: 'poisson', samplingProbability: 256 / 60000 }) // 234
 */
export function stepsForEpochs(epochs: number, spec: EpochSpec): number {
  if (!(epochs > 0 && Number.isFinite(epochs))) bad(`epochs must be a finite number > 0, got ${String(epochs)}`);
  return Math.max(1, Math.round(epochs * stepsPerEpoch(spec)));
}
