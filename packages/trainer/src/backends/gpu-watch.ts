/**
 * WebGPU reports most failures out of band: a validation error or an out-of-memory goes to the device's
 * `uncapturederror` event and the op returns stale data; a lost device rejects reads. This module turns each of
 * them into a thrown TrainerError with code `gpu_error` at the point the trainer checks.
 */
import * as tf from '@tensorflow/tfjs';
import { TrainerError } from '../per-sample/trainer-error.js';
import type { GpuDeviceLike, GpuErrorLike } from './webgpu-adapter.js';

interface DeviceState {
  lost: string | null;
  uncaptured: string[];
  /** Error scopes pushed by a watch that has not settled (its step threw): popped by the next watch. */
  open: number;
}

const states = new WeakMap<GpuDeviceLike, DeviceState>();
const SCOPES = ['validation', 'out-of-memory', 'internal'] as const;

function describe(e: GpuErrorLike): string {
  return `${e.constructor?.name ?? 'GPUError'}: ${e.message}`;
}

/**
 * Starts recording a device's uncaptured errors and its loss (idempotent). The trainer's webgpu backend calls it
 * on the device it creates; `watchGpu` calls it on any other (a webgpu backend registered by someone else).
 * @example trackDevice(device); // then device errors surface in watchGpu().settle()
 */
export function trackDevice(device: GpuDeviceLike): void {
  if (states.has(device)) return;
  const state: DeviceState = { lost: null, uncaptured: [], open: 0 };
  states.set(device, state);
  device.addEventListener('uncapturederror', (event) => {
    const error = (event as Event & { error?: GpuErrorLike }).error;
    state.uncaptured.push(error ? describe(error) : 'GPUError: unknown');
  });
  void device.lost.then((info) => {
    state.lost = `device lost (${info.reason ?? 'unknown'}): ${info.message}`;
  });
}

/**
 * Whether the webgpu backend's device (initialised, active or not) is lost.
 * @example if (deviceLost()) await useBackend('webgpu'); // a new device
 */
export function deviceLost(): boolean {
  const device = (tf.findBackend('webgpu') as unknown as { device?: GpuDeviceLike } | null)?.device;
  return device !== undefined && states.get(device)?.lost != null;
}

function activeDevice(): GpuDeviceLike | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const device = (tf.backend() as unknown as { device?: GpuDeviceLike }).device;
  return device ?? null;
}

function gpuError(where: string, what: string, cause?: unknown): TrainerError {
  return new TrainerError(
    'gpu_error',
    `${where}: the GPU failed (${what}); nothing of it was applied`,
    cause === undefined ? {} : { cause },
  );
}

/** One watched stretch of GPU work; on other backends both methods only pass through. */
export interface GpuWatch {
  /** Reads a tensor; a failed GPU read (lost device) throws a TrainerError `gpu_error`. */
  read(t: tf.Tensor): Promise<Float32Array | Int32Array | Uint8Array>;
  /** Waits until the GPU has judged everything queued since the watch began; throws `gpu_error` on any error. */
  settle(): Promise<void>;
}

const PASS: GpuWatch = {
  read: (t) => t.data() as Promise<Float32Array | Int32Array | Uint8Array>,
  settle: async () => {},
};

/**
 * Opens error scopes on the active webgpu device (a no-op on other backends). Throws `gpu_error` at once when the
 * device is already lost or reported an uncaptured error since the last check.
 * @example const gpu = await watchGpu('step 3'); const v = await gpu.read(loss); await gpu.settle();
 */
export async function watchGpu(where: string): Promise<GpuWatch> {
  const device = activeDevice();
  return device ? watchDevice(device, where) : PASS;
}

/**
 * `watchGpu` on a given device.
 * @example const watch = await watchDevice(device, 'step 3'); await watch.settle();
 */
export async function watchDevice(device: GpuDeviceLike, where: string): Promise<GpuWatch> {
  trackDevice(device);
  await Promise.resolve(); // a loss already settled records its reason first
  const state = states.get(device)!;
  for (; state.open > 0; state.open--) await device.popErrorScope().catch(() => null); // a watch whose work threw
  check(state, where);
  for (const s of SCOPES) device.pushErrorScope(s);
  state.open = SCOPES.length;
  let settled = false;
  return {
    async read(t) {
      try {
        return (await t.data()) as Float32Array | Int32Array | Uint8Array;
      } catch (cause) {
        await Promise.resolve(); // lets a pending device-lost callback record its reason first
        throw gpuError(where, state.lost ?? `read failed: ${String(cause)}`, cause);
      }
    },
    async settle() {
      if (settled) return;
      settled = true;
      const errors: string[] = [];
      for (; state.open > 0; state.open--) {
        const e = await device.popErrorScope().catch(() => null);
        if (e) errors.push(describe(e));
      }
      if (errors.length > 0) throw gpuError(where, errors.join('; '));
      check(state, where);
    },
  };
}

function check(state: DeviceState, where: string): void {
  if (state.lost) throw gpuError(where, `${state.lost}; call useBackend('webgpu') again for a new device`);
  if (state.uncaptured.length > 0) {
    const what = state.uncaptured.splice(0).join('; ');
    throw gpuError(where, what);
  }
}
