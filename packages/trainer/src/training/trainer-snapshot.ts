/**
 * A DPTrainer's state as a plain object (`trainer.snapshot()`, `trainer.restore(snapshot)`), like a state dict:
 * what a checkpoint writes and what continuing a run needs, and nothing else.
 *
 * Randomness: a secure run's snapshot holds its mode alone (no generator state, no buffered words), so a restored
 * secure run draws fresh randomness. A seeded run's holds only how many words of each of its two streams were used,
 * never the seed or a key: restoring it needs a trainer made with the same seed.
 */
import type { DpEvent } from '@dpledger/accounting';
import type { SamplerState } from './batch-sampler.js';
import type { OptimizerState } from './optimizer.js';
import type { DPTrainerOptions } from './trainer-options.js';

/** Where a seeded run's two streams stand (words used): all a snapshot keeps of its randomness. */
export interface SeededPositions {
  position: number;
  /** null with discrete Gaussian noise, which draws from the sampling stream. */
  noisePosition: number | null;
}

/** The serialisable options a run was made with (functions, accountant objects, the seed and the model left out). */
type Unsaved = 'model' | 'accountant' | 'rules' | 'target' | 'loss' | 'seed' | 'secureMode';
export type TrainerSettings = Omit<DPTrainerOptions, Unsaved> & {
  /** null: a loss function (pass it again). */
  loss: DPTrainerOptions['loss'] | null;
  /** 'rdp' | 'pld', or 'custom' / 'remote' (pass the accountant again). */
  accountant: string;
};

/** The randomness a snapshot keeps: the mode, and a seeded run's stream positions. */
export type SnapshotRandomness = { mode: 'secure' } | ({ mode: 'seeded' } & SeededPositions);

export interface TrainerSnapshot {
  /** Steps applied. */
  stepCount: number;
  /** The options it ran with, for rebuilding a trainer (restore does not read them). */
  settings: TrainerSettings;
  /** The clip norm of the next step (it moves under adaptive clipping). */
  clipNorm: number;
  rng: SnapshotRandomness;
  /** The sampler's state (null before the first fit). */
  sampler: SamplerState | null;
  optimizer: OptimizerState;
  /** model.getWeights(), float32, in order. */
  weights: { shape: number[]; values: Float32Array }[];
  /** Everything accounted, run-length merged: a restore composes it into the new accountant. */
  ledger: DpEvent;
}
