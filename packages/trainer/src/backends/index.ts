/** Backend selection for @dpledger/trainer and the tfjs-backend-wasm 4.22 kernel fixes. */
export { useBackend, availableBackends, BACKEND_PREFERENCE, type BackendName } from './use-backend.js';
export { registerWasmFixes } from './wasm-fixes.js';
