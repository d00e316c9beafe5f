/**
 * Which examples form each logical batch.
 * - `poisson` (default): every example joins independently with probability q = expectedBatchSize / datasetSize
 *   (Abadi et al. 2016, "Deep learning with differential privacy"); batch sizes vary and may be 0. This is what
 *   `poisson_sampled` amplification (Mironov, Talwar & Zhang 2019) assumes.
 * - `shuffle`: a fresh uniform permutation per epoch cut into fixed-size batches (the remainder is dropped). Chua et
 *   al. 2024 ("How private are DP-SGD implementations?") show Poisson accounting does not hold for it, so the trainer
 *   accounts each shuffled step as a plain `gaussian` event at the replace-one sensitivity 2C, under the replace_one
 *   relation only (see step-events.ts), with no amplification claimed.
 */
import { AccountingError, stepsForEpochs, stepsPerEpoch, type EpochSpec } from '@dpledger/accounting';
import { uniform53, uniformInt, type RandomSource } from './random-source.js';
import { fail } from './fail.js';

export type SamplerKind = 'poisson' | 'shuffle';

/**
 * The epoch the trainer runs, in the terms `dpledger epsilon --batch-size --dataset-size` and `train --config` price
 * it: from n and B, not from q (round(1 / (B / n)) differs from round(n / B) at halves, e.g. n = 93, B = 2).
 * @example trainerEpoch('poisson', 60000, 256) // { sampler: 'poisson', datasetSize: 60000, expectedBatchSize: 256 }
 */
export function trainerEpoch(kind: SamplerKind, datasetSize: number, expectedBatchSize: number): EpochSpec {
  return { sampler: kind, datasetSize, expectedBatchSize };
}

/**
 * The steps `epochs` epochs are (@dpledger/accounting stepsForEpochs, the one formula), refusals as TrainerErrors.
 * @example epochSteps(1, trainerEpoch('poisson', 60000, 256)) // 234
 */
export function epochSteps(epochs: number, epoch: EpochSpec): number {
  try {
    return stepsForEpochs(epochs, epoch);
  } catch (err) {
    if (err instanceof AccountingError) fail('invalid_argument', err.message);
    throw err;
  }
}

/** Serializable sampler position (the RNG state is saved separately). */
export interface SamplerState {
  kind: SamplerKind;
  /** shuffle only: the current epoch's permutation and the next batch's start in it. */
  permutation?: number[];
  cursor?: number;
}

/** Draws the index set of the next logical batch. */
export interface BatchSampler {
  readonly kind: SamplerKind;
  /** Logical steps in one pass over the data. */
  readonly stepsPerEpoch: number;
  next(): Int32Array;
  state(): SamplerState;
}

/**
 * Poisson subsampling: each of `datasetSize` indices is kept independently with probability q.
 * @example new PoissonSampler(rng, 60000, 256 / 60000).next() // ~256 sorted indices
 */
export class PoissonSampler implements BatchSampler {
  readonly kind = 'poisson' as const;
  readonly stepsPerEpoch: number;

  constructor(
    private readonly rng: RandomSource,
    readonly datasetSize: number,
    readonly samplingProbability: number,
    /** q = expectedBatchSize / datasetSize; when given, the epoch is counted from n and B as the trainer prices it */
    expectedBatchSize?: number,
  ) {
    if (!(samplingProbability > 0 && samplingProbability <= 1))
      fail('invalid_argument', `sampling probability must be in (0, 1], got ${samplingProbability}`);
    const epoch: EpochSpec =
      expectedBatchSize === undefined
        ? { sampler: 'poisson', samplingProbability }
        : trainerEpoch('poisson', datasetSize, expectedBatchSize);
    this.stepsPerEpoch = stepsPerEpoch(epoch);
  }

  next(): Int32Array {
    const q = this.samplingProbability;
    const picked: number[] = [];
    // one independent Bernoulli(q) per example, each from a 53-bit uniform
    for (let i = 0; i < this.datasetSize; i++) if (uniform53(this.rng) < q) picked.push(i);
    return Int32Array.from(picked);
  }

  state(): SamplerState {
    return { kind: 'poisson' };
  }
}

/**
 * Shuffle-and-partition: fixed batches of `batchSize` from a per-epoch Fisher-Yates permutation.
 * @example new ShuffleSampler(rng, 1000, 100).next().length // 100
 */
export class ShuffleSampler implements BatchSampler {
  readonly kind = 'shuffle' as const;
  readonly stepsPerEpoch: number;
  private permutation: number[] = [];
  private cursor = 0;

  constructor(
    private readonly rng: RandomSource,
    readonly datasetSize: number,
    readonly batchSize: number,
    saved?: SamplerState,
  ) {
    if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= datasetSize))
      fail('invalid_argument', `batch size must be an integer in [1, ${datasetSize}], got ${batchSize}`);
    this.stepsPerEpoch = stepsPerEpoch(trainerEpoch('shuffle', datasetSize, batchSize));
    if (saved?.permutation && saved.permutation.length === datasetSize) {
      this.permutation = saved.permutation.slice();
      this.cursor = saved.cursor ?? 0;
    } else {
      this.reshuffle();
    }
  }

  private reshuffle(): void {
    const p = Array.from({ length: this.datasetSize }, (_, i) => i);
    // Fisher-Yates (Knuth, TAOCP vol. 2, Algorithm P): swap i with a uniform j in [0, i]
    for (let i = p.length - 1; i > 0; i--) {
      const j = uniformInt(this.rng, i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    this.permutation = p;
    this.cursor = 0;
  }

  next(): Int32Array {
    if (this.cursor + this.batchSize > this.datasetSize) this.reshuffle();
    const out = Int32Array.from(this.permutation.slice(this.cursor, this.cursor + this.batchSize));
    this.cursor += this.batchSize;
    return out;
  }

  state(): SamplerState {
    return { kind: 'shuffle', permutation: this.permutation.slice(), cursor: this.cursor };
  }
}
