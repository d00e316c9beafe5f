import * as tf from '@tensorflow/tfjs';
import { TrainerError } from '../per-sample/trainer-error.js';
import { loadNativeGemm, nativeGemmStatus } from './native-gemm.js';
import { registerWasmFixes } from './wasm-fixes.js';
import { configureWasmPathsForNode } from './wasm-paths.js';
import { registerWebGpu } from './webgpu-backend.js';
import { deviceLost } from './gpu-watch.js';

/** A tfjs backend the trainer runs on; `tensorflow` is the one of @tensorflow/tfjs-node or tfjs-node-gpu. */
export type BackendName = 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Fastest first: the order `useBackend('auto')` tries (webgpu there only on a real GPU adapter). */
export const BACKEND_PREFERENCE: readonly BackendName[] = ['webgpu', 'tensorflow', 'webgl', 'wasm', 'cpu'];

/** Packages users may install that register a backend when imported; tried in order, silently skipped if absent. */
const OPTIONAL_PACKAGES: Partial<Record<BackendName, readonly string[]>> = {
  tensorflow: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
};

/** Which backend `useBackend` activated last, and why (the adapter for webgpu, what was skipped before it). */
export interface BackendChoice {
  backend: BackendName;
  reason: string;
}
let lastChoice: BackendChoice | null = null;

/**
 * What the last `useBackend` call chose and why, e.g. `{ backend: 'wasm', reason: 'webgpu skipped: only a software
 * adapter (google swiftshader); ...' }`; null before the first call.
 * @example await useBackend(); console.log(backendChoice()?.reason);
 */
export function backendChoice(): BackendChoice | null {
  return lastChoice;
}

function registered(name: BackendName): boolean {
  return tf.engine().backendNames().includes(name);
}

/** Why webgpu was not usable, from the last attempt. */
let webgpuWhyNot = '';

async function load(name: BackendName, allowSoftware = false): Promise<boolean> {
  if (name === 'webgpu') {
    const r = await registerWebGpu({ allowSoftware });
    webgpuWhyNot = r.reason;
    if (r.choice) webgpuAdapter = `${r.choice.software ? 'software adapter' : 'GPU adapter'} ${r.choice.description}`;
    return r.choice !== null;
  }
  // A dependency, loaded only when asked for: importing it makes wasm tfjs's default backend, which needs an await.
  if (name === 'wasm' && !registered(name)) await import('@tensorflow/tfjs-backend-wasm');
  for (const pkg of OPTIONAL_PACKAGES[name] ?? []) {
    if (registered(name)) break;
    try {
      await import(/* @vite-ignore */ pkg);
    } catch {
      // Not installed (or unusable here): the next candidate is tried.
    }
  }
  return registered(name);
}

/**
 * The backends that `useBackend('auto')` may select here, fastest first: those registered with tfjs after trying to
 * import the optional packages (tfjs-node-gpu, tfjs-node), and webgpu when a real GPU adapter exists (in Node through
 * the optional packages `webgpu` and tfjs-backend-webgpu). `webgl` is registered only in a browser; a
 * listed backend can still fail to initialise (no GPU context), which `useBackend('auto')` handles.
 *
 * @example
 * await availableBackends(); // in Node without tfjs-node: ['wasm', 'cpu']
 */
let webgpuAdapter = '';

export async function availableBackends(): Promise<BackendName[]> {
  const found: BackendName[] = [];
  for (const name of BACKEND_PREFERENCE) if (await load(name)) found.push(name);
  return found;
}

async function activate(name: BackendName, allowSoftware: boolean): Promise<boolean> {
  if (!(await load(name, allowSoftware))) return false;
  if (name === 'webgpu' && deviceLost()) {
    // the backend holds a lost device: a new backend instance asks for a new device
    if (tf.getBackend() === 'webgpu') await tf.setBackend('cpu');
    tf.engine().removeBackend('webgpu');
    await load(name, allowSoftware);
  }
  if (name === 'wasm') {
    await configureWasmPathsForNode();
    await loadNativeGemm(); // Node: the BatchMatMul kernel then runs its products natively (native-gemm.ts)
    registerWasmFixes();
  }
  if (!(await tf.setBackend(name))) return false;
  await tf.ready();
  return tf.getBackend() === name;
}

/**
 * Makes `name` the active tfjs backend, or with `'auto'` the fastest one that initialises here: webgpu on a real
 * GPU adapter, tfjs-node-gpu / tfjs-node, webgl, wasm, cpu (never a software WebGPU adapter unless 'webgpu' is
 * named). 'webgpu' in Node loads Dawn from the optional package `webgpu` and takes a GPU adapter, else a software
 * one it finds (lavapipe, SwiftShader from chromium). On wasm it first registers the kernel fixes
 * (`registerWasmFixes`) and, under Node, the path of the .wasm binaries. Returns the backend now active; what it
 * chose and why is in `backendChoice()` (and passed to `opts.log`). A named backend that is not available throws
 * a TrainerError with code `backend_unavailable`.
 *
 * @example
 * const active = await useBackend();      // e.g. 'wasm' in Node without a GPU
 * await useBackend('webgpu');             // 'webgpu', on a GPU or (CPU-only Debian + chromium) SwiftShader
 * await useBackend('cpu');                // 'cpu'
 */
export async function useBackend(
  name: BackendName | 'auto' = 'auto',
  opts: { log?: (line: string) => void } = {},
): Promise<BackendName> {
  const candidates = name === 'auto' ? BACKEND_PREFERENCE : [name];
  const skipped: string[] = [];
  for (const candidate of candidates) {
    webgpuWhyNot = '';
    if (await activate(candidate, name !== 'auto')) {
      const why =
        candidate === 'webgpu'
          ? `webgpu on the ${webgpuAdapter}`
          : name === 'auto'
            ? `${candidate}, the fastest that initialised`
            : `${candidate}, as asked`;
      const gemm = candidate === 'wasm' ? [`matMul on the ${nativeGemmStatus()}`] : [];
      lastChoice = { backend: candidate, reason: [why, ...gemm, ...skipped].join('; ') };
      opts.log?.(`@dpledger/trainer backend: ${lastChoice.reason}`);
      return candidate;
    }
    skipped.push(
      `${candidate} skipped: ${candidate === 'webgpu' && webgpuWhyNot ? webgpuWhyNot : 'not available here'}`,
    );
  }
  const have = (await availableBackends()).join(', ');
  const whyNot = name === 'webgpu' && webgpuWhyNot ? ` (${webgpuWhyNot})` : '';
  throw new TrainerError(
    'backend_unavailable',
    name === 'auto'
      ? `no tfjs backend could be initialised (registered: ${have || 'none'})`
      : `tfjs backend '${name}' is not available or failed to initialise here${whyNot} (available: ${have || 'none'})`,
  );
}
