/**
 * @dpledger/trainer: DP-SGD for TensorFlow.js (per-sample clipping, Poisson sampling, calibrated noise, accounting).
 */
export * from './per-sample/index.js';
export * from './backends/index.js';
export * from './training/index.js';
export * from './data/index.js';
