/**
 * Backend selection for @dpledger/trainer (webgpu in Node through Dawn) and the tfjs 4.22 wasm and webgpu kernel fixes.
 */
export {
  useBackend,
  availableBackends,
  backendChoice,
  BACKEND_PREFERENCE,
  type BackendName,
  type BackendChoice,
} from './use-backend.js';
export { registerWebGpuFixes } from './webgpu-backend.js';
export { registerWasmFixes } from './wasm-fixes.js';
export { nativeGemmStatus } from './native-gemm.js';
