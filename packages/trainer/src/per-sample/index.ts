/** Vectorized per-example gradients and clipping for tfjs-layers models (the core of DP-SGD). */
export { TrainerError, type TrainerErrorCode } from './trainer-error.js';
export type { AnyLayer, Clipping, LayerRule, LayerRuleRegistry, LossOptions, LossSpec, WeightStat } from './types.js';
export { defaultLayerRules, withLayerRules } from './registry.js';
export { perExampleLoss } from './losses.js';
export {
  clipAndAccumulate,
  clippedGradSum,
  perSampleGradNorms,
  type Accumulated,
  type AccumulateOptions,
} from './accumulate.js';
