/** What DPTrainer.step and DPTrainer.fit take and return. */
import type * as tf from '@tensorflow/tfjs';

/** What one step did. `loss` is the batch's mean loss WITHOUT noise: for monitoring, not for release. */
export interface StepResult {
  applied: boolean;
  step: number;
  batchSize: number;
  loss: number;
  clipNorm: number;
  /** Set when the step was refused: the remote budget is spent and no update was applied. */
  stopped?: 'budget_exhausted';
}

export interface FitCallbacks {
  onStep?(r: StepResult): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: { valAccuracy?: number; step: number }): void | Promise<void>;
}

export interface FitOptions {
  epochs?: number;
  steps?: number;
  validationData?: [tf.Tensor, tf.Tensor];
  callbacks?: FitCallbacks;
}

export interface FitHistory {
  steps: number;
  loss: number[];
  batchSizes: number[];
  valAccuracy: number[];
  /** Why training ended early, if it did: the remote budget refused the next step. */
  stopped?: { reason: 'budget_exhausted'; atStep: number };
}
