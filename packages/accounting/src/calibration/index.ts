export {
  calibrateNoiseMultiplier,
  epsilonOfNoise,
  type CalibrationOptions,
  type CalibrationResult,
} from './calibrate.js';
export { maxStepsForBudget, type MaxStepsOptions, type MaxStepsResult } from './max-steps.js';
export { gdpCltEstimate, gdpCltNoiseGuess, gdpDelta, type GdpEstimate } from './gdp-estimate.js';
export { accountantFactory, dpSgdEvent, type AccountantFactory, type AccountantKind } from './factories.js';
export { stepsForEpochs, stepsPerEpoch, type EpochSpec } from './steps-per-epoch.js';
