/** One-run privacy auditing (Steinke, Nasr, Jagielski 2023; Mahloujifar et al. 2024): statistics only, no training. */
export { oneRunEpsilonLowerBound, rejectsClaim, type OneRunCounts, type OneRunMethod } from './lower-bound.js';
export {
  auditFromScores,
  kGrid,
  type ScoreAuditInput,
  type ScoreAuditResult,
  type ThresholdSelection,
} from './from-scores.js';
export { steinkePValue } from './steinke.js';
export { fdpRejects, gaussianMuFor } from './fdp.js';
