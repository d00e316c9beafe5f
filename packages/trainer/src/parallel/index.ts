/** Per-example work of a DP-SGD step sharded over Node worker threads (see sharded-steps.ts). */
export { planChunks, type ChunkPlan } from './chunk-plan.js';
export { MIN_EXAMPLES_PER_THREAD, MIN_WORK_PER_THREAD, weightReuse, type ThreadsOption } from './thread-count.js';
export { ShardedSteps, type ShardedStepOptions } from './sharded-steps.js';
