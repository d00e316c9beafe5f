/** DP-SGD training: the DPTrainer loop, samplers, noise, optimizers, accounting hooks, checkpoints. */
export { DPTrainer } from './dp-trainer.js';
export type { AuditOptions, AuditSubmission } from './canaries.js';
export { accuracy } from './accuracy.js';
export type { StepResult, FitOptions, FitCallbacks, FitHistory, PrivateStepStats } from './fit-types.js';
export type { NoisyLoss, NoisyLossOptions } from './noisy-loss.js';
export type { DPTrainerOptions } from './trainer-options.js';
export type { ThreadsOption } from '../parallel/thread-count.js';
export type { OptimizerConfig, OptimizerState } from './optimizer.js';
export type { AdaptiveClippingOptions } from './adaptive-clipping.js';
export {
  PoissonSampler,
  ShuffleSampler,
  type BatchSampler,
  type SamplerKind,
  type SamplerState,
} from './batch-sampler.js';
export {
  SecureRandomSource,
  SeededRandomSource,
  makeRandomSource,
  SEEDED_RUN_CAVEAT,
  type RandomSource,
  type NoiseRngMode,
  type SeededStream,
  type Seed,
} from './random-source.js';
export { parseSeed } from './seed.js';
export { fillGaussian } from './gaussian-noise.js';
export { discreteGaussianSampler } from './discrete-gaussian.js';
export { stepEvent, type StepMechanism, type BatchOrigin } from './step-events.js';
export { isBudgetRefusal, type ReservationClient, type RemoteAccountant } from './step-ledger.js';
export type { AccountantKind } from './local-accountant.js';
export { buildModel, modelLayout, type BuiltinModel } from './build-model.js';
export { CHECKPOINT_FORMAT, type CheckpointFile, type ResumeOptions } from './checkpoint.js';
export type { TrainerSnapshot, TrainerSettings, SnapshotRandomness, SeededPositions } from './trainer-snapshot.js';
export { loadModelFile, saveModelFiles } from './model-files.js';
