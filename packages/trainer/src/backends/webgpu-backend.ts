/**
 * Registers tfjs's webgpu backend on the adapter `findAdapter` chose (in Node through Dawn), with a device that
 * gets the adapter's storage-buffer limit, error tracking, and the chunked AddN (tfjs 4.22's own binds one
 * storage buffer per input and fails silently past the limit).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { trackDevice } from './gpu-watch.js';
import { findAdapter, type FoundAdapter, type GpuAdapterLike, type GpuDeviceLike } from './webgpu-adapter.js';

/** What the last registration found: the adapter tfjs's webgpu backend runs on. */
export interface WebGpuChoice {
  software: boolean;
  description: string;
}

/** Why the last probe for a GPU adapter found none (software not allowed); null before it or after a success. */
let noGpu: string | null = null;
let chosen: (WebGpuChoice & { found: FoundAdapter; factory: (() => Promise<tf.KernelBackend>) | null }) | null = null;

/** Inputs one AddN kernel may take: 7 inputs and the output fill WebGPU's default of 8 storage buffers per stage. */
export const ADDN_MAX_INPUTS = 7;
const OURS = Symbol.for('@dpledger/trainer/webgpu-fix');

/** The limits tfjs 4.22 asks for, plus the storage-buffer count it leaves at the default of 8. */
const LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
  'maxStorageBuffersPerShaderStage',
];

async function makeDevice(adapter: GpuAdapterLike): Promise<GpuDeviceLike> {
  const requiredFeatures = ['timestamp-query'].filter((f) => adapter.features.has(f));
  const requiredLimits = Object.fromEntries(
    LIMITS.filter((k) => typeof adapter.limits[k] === 'number').map((k) => [k, adapter.limits[k]]),
  );
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  trackDevice(device);
  return device;
}

/**
 * AddN for webgpu in chunks of at most {@link ADDN_MAX_INPUTS} inputs, each through the stock kernel; the partial
 * sums are disposed. Sums in the same order as one kernel would, left to right.
 */
export function chunkedAddN(stock: KernelFunc, maxInputs = ADDN_MAX_INPUTS): KernelFunc {
  const run: KernelFunc = (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    if (inputs.length <= maxInputs) return stock(args);
    let acc = stock({ ...args, inputs: inputs.slice(0, maxInputs) as never }) as TensorInfo;
    for (let from = maxInputs; from < inputs.length; from += maxInputs - 1) {
      const next = stock({
        ...args,
        inputs: [acc, ...inputs.slice(from, from + maxInputs - 1)] as never,
      }) as TensorInfo;
      (args.backend as tf.KernelBackend).disposeData(acc.dataId);
      acc = next;
    }
    return acc;
  };
  Object.defineProperty(run, OURS, { value: true });
  return run;
}

/** Replaces webgpu's AddN by {@link chunkedAddN} (idempotent). Needs tfjs-backend-webgpu imported. */
export function registerWebGpuFixes(): void {
  const old = tf.getKernel('AddN', 'webgpu') as KernelConfig | undefined;
  if (old === undefined || OURS in old.kernelFunc) return;
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({ ...old, kernelFunc: chunkedAddN(old.kernelFunc) });
}

function setNavigatorGpu(found: FoundAdapter): void {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu) return;
  // tfjs-backend-webgpu registers and constructs its backend only where navigator.gpu exists (Node: Dawn's)
  if (g.navigator === undefined)
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: found.gpu }, configurable: true, writable: true });
  else Object.defineProperty(g.navigator, 'gpu', { value: found.gpu, configurable: true });
}

/**
 * Finds an adapter (a GPU first; software only with `allowSoftware`) and registers tfjs's `webgpu` backend on it.
 * Returns what it chose, or null with the reason. A registration on a GPU is kept; one on software is redone
 * when a GPU is asked for.
 * @example const r = await registerWebGpu({ allowSoftware: true }); if (r.choice) await tf.setBackend('webgpu');
 */
export async function registerWebGpu(opts: {
  allowSoftware: boolean;
}): Promise<{ choice: WebGpuChoice | null; reason: string }> {
  if (chosen && (opts.allowSoftware || !chosen.software)) {
    if (chosen.factory && !tf.engine().backendNames().includes('webgpu'))
      tf.registerBackend('webgpu', chosen.factory, 3); // removed after a lost device
    return { choice: chosen, reason: '' };
  }
  if (chosen && !opts.allowSoftware) return { choice: null, reason: `only a software adapter (${chosen.description})` };
  // probed once: Dawn logs each probe
  if (!opts.allowSoftware && noGpu !== null) return { choice: null, reason: noGpu };
  const { found, reason } = await findAdapter(opts);
  if (!found || (found.software && !opts.allowSoftware)) noGpu = reason;
  if (!found) return { choice: null, reason };
  setNavigatorGpu(found);
  const pkg = '@tensorflow/tfjs-backend-webgpu'; // an optional peer dependency
  let mod: { WebGPUBackend: new (device: GpuDeviceLike, info?: unknown) => tf.KernelBackend };
  try {
    mod = (await import(/* @vite-ignore */ pkg)) as typeof mod;
  } catch (e) {
    if (tf.engine().backendNames().includes('webgpu')) {
      // a bundled page that imported the package itself: tfjs's own registration stays, with the chunked AddN
      registerWebGpuFixes();
      chosen = { software: found.software, description: found.description, found, factory: null };
      return { choice: chosen, reason: '' };
    }
    return { choice: null, reason: `@tensorflow/tfjs-backend-webgpu is not installed (${String(e)})` };
  }
  registerWebGpuFixes();
  if (tf.engine().backendNames().includes('webgpu')) tf.removeBackend('webgpu');
  const { gpu } = found;
  let first: GpuAdapterLike | null = found.adapter;
  const factory = async () => {
    // an adapter gives one device: a later backend (after a lost device) asks the same GPU object for a new adapter
    const adapter = first ?? (await gpu.requestAdapter({ powerPreference: 'high-performance' }));
    first = null;
    if (!adapter) throw new Error('the WebGPU adapter is gone');
    return new mod.WebGPUBackend(await makeDevice(adapter), adapter.info);
  };
  tf.registerBackend('webgpu', factory, 3);
  chosen = { software: found.software, description: found.description, found, factory };
  return { choice: chosen, reason: '' };
}
