/** What DPTrainer.step and DPTrainer.fit take and return. */
import type * as tf from '@tensorflow/tfjs';
import type { NoisyLoss, NoisyLossOptions } from './noisy-loss.js';

/**
 * Figures computed from the training data WITHOUT noise. They never leave this machine and are not covered by
 * epsilon: print them only labelled "(private, not DP)", and keep them out of summaries, reports and anything
 * sent to the accountant. (The realised size of a Poisson batch is as private as the loss.)
 */
export interface PrivateStepStats {
  /** The batch's mean loss, un-noised. */
  loss: number;
  /** The realised batch size (Poisson: varies from step to step). */
  batchSize: number;
}

/** What one step did. Everything outside `private` is public (hyper-parameters) or differentially private. */
export interface StepResult {
  applied: boolean;
  step: number;
  /** The clip norm this step used (under adaptive clipping it moved by noised, accounted counts). */
  clipNorm: number;
  /** Set when the step was refused: the remote budget is spent and no update was applied. */
  stopped?: 'budget_exhausted';
  /** Un-noised figures: never leaves this machine, not covered by epsilon. */
  private: PrivateStepStats;
}

export interface FitCallbacks {
  onStep?(r: StepResult): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: { valAccuracy?: number; step: number }): void | Promise<void>;
  /** Each noised, accounted loss estimate (with `noisyLoss`), after its event entered the ledger. */
  onNoisyLoss?(e: NoisyLoss): void | Promise<void>;
}

export interface FitOptions {
  epochs?: number;
  steps?: number;
  validationData?: [tf.Tensor, tf.Tensor];
  callbacks?: FitCallbacks;
  /** Opt-in: a differentially private loss estimate every `every` steps, accounted in the same ledger. */
  noisyLoss?: NoisyLossOptions;
}

export interface FitHistory {
  steps: number;
  valAccuracy: number[];
  /** The noised, accounted loss estimates (empty unless `noisyLoss` was given): these may leave the machine. */
  noisyLoss: NoisyLoss[];
  /** Why training ended early, if it did: the remote budget refused the next step. */
  stopped?: { reason: 'budget_exhausted'; atStep: number };
  /** Un-noised per-step figures: never leaves this machine, not covered by epsilon. */
  private: { loss: number[]; batchSizes: number[] };
}
