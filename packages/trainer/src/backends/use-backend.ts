import * as tf from '@tensorflow/tfjs';
import { TrainerError } from '../per-sample/trainer-error.js';
import { registerWasmFixes } from './wasm-fixes.js';
import { configureWasmPathsForNode } from './wasm-paths.js';

/** A tfjs backend the trainer runs on; `tensorflow` is the one of @tensorflow/tfjs-node or tfjs-node-gpu. */
export type BackendName = 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Fastest first: the order `useBackend('auto')` tries. */
export const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'];

/** Packages users may install that register a backend when imported; tried in order, silently skipped if absent. */
const OPTIONAL_PACKAGES: Partial<Record<BackendName, readonly string[]>> = {
  tensorflow: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
  webgpu: ['@tensorflow/tfjs-backend-webgpu'],
};

function registered(name: BackendName): boolean {
  return tf.engine().backendNames().includes(name);
}

async function load(name: BackendName): Promise<boolean> {
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
 * The backends that can be selected here, fastest first: those registered with tfjs after trying to import the
 * optional packages (tfjs-node-gpu, tfjs-node, tfjs-backend-webgpu). `webgl` is registered only in a browser; a
 * listed backend can still fail to initialise (no GPU context), which `useBackend('auto')` handles.
 *
 * @example
 * await availableBackends(); // in Node without tfjs-node: ['wasm', 'cpu']
 */
export async function availableBackends(): Promise<BackendName[]> {
  const found: BackendName[] = [];
  for (const name of BACKEND_PREFERENCE) if (await load(name)) found.push(name);
  return found;
}

async function activate(name: BackendName): Promise<boolean> {
  if (!(await load(name))) return false;
  if (name === 'wasm') {
    await configureWasmPathsForNode();
    registerWasmFixes();
  }
  if (!(await tf.setBackend(name))) return false;
  await tf.ready();
  return tf.getBackend() === name;
}

/**
 * Makes `name` the active tfjs backend, or with `'auto'` the fastest one that initialises here (tfjs-node-gpu,
 * tfjs-node, webgpu, webgl, wasm, cpu). On wasm it first registers the kernel fixes (`registerWasmFixes`) and,
 * under Node, the path of the .wasm binaries. Returns the backend now active; a named backend that is not
 * available throws a TrainerError with code `backend_unavailable`.
 *
 * @example
 * const active = await useBackend();      // e.g. 'wasm' in Node without tfjs-node
 * await useBackend('cpu');                // 'cpu'
 */
export async function useBackend(name: BackendName | 'auto' = 'auto'): Promise<BackendName> {
  const candidates = name === 'auto' ? BACKEND_PREFERENCE : [name];
  for (const candidate of candidates) if (await activate(candidate)) return candidate;
  const have = (await availableBackends()).join(', ');
  throw new TrainerError('backend_unavailable', name === 'auto'
    ? `no tfjs backend could be initialised (registered: ${have || 'none'})`
    : `tfjs backend '${name}' is not available or failed to initialise here (available: ${have || 'none'})`);
}
