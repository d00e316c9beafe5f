/**
 * Preloaded into every vitest fork (`execArgv` in vitest.config.ts) and so into every worker thread it starts
 * (a Worker inherits its parent's execArgv): in a worker thread, registers worker-ts-hooks.mjs so the worker runs
 * the TypeScript sources. The fork's own thread is left alone (vitest transforms its modules itself).
 */
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (!isMainThread) register('./worker-ts-hooks.mjs', import.meta.url);
