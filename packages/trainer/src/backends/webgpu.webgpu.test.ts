// Needs the GPU stack: the `webgpu` package (Dawn) and a Vulkan driver (CI: SwiftShader from chromium + libvulkan1).
// A missing adapter fails these tests: they never skip.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainerError } from '../per-sample/trainer-error.js';
import { backendChoice, useBackend } from './use-backend.js';
import { watchGpu } from './gpu-watch.js';

interface Device {
  limits: Record<string, number>;
  createBuffer(d: { size: number; usage: number }): unknown;
  destroy(): void;
}
const device = () => (tf.backend() as unknown as { device: Device }).device;
const usage = () => (globalThis as unknown as { GPUBufferUsage: Record<string, number> }).GPUBufferUsage;
const badUsage = () => usage().MAP_READ! | usage().STORAGE!; // an invalid usage combination

describe('useBackend on webgpu in Node (Dawn)', () => {
  beforeAll(async () => {
    expect(await useBackend('webgpu')).toBe('webgpu');
  });
  afterAll(async () => {
    await useBackend('cpu');
  });

  it('says which adapter it took', () => {
    expect(backendChoice()?.backend).toBe('webgpu');
    expect(backendChoice()?.reason).toMatch(/adapter/);
  });

  it("'auto' takes a GPU adapter, never a software one", async () => {
    const software = /software adapter/.test(String(backendChoice()?.reason));
    const auto = await useBackend('auto');
    if (software) {
      expect(auto).not.toBe('webgpu');
      expect(backendChoice()?.reason).toMatch(/webgpu skipped: only a software adapter/);
    } else {
      expect(auto).toBe('webgpu');
    }
    await useBackend('webgpu');
  });

  it('requests the adapter storage-buffer limit for the device', () => {
    expect(device().limits.maxStorageBuffersPerShaderStage).toBeGreaterThan(8);
  });

  it.each([2, 7, 8, 9, 13, 20, 40])('addN over %i tensors is exact', async (n) => {
    const parts = Array.from({ length: n }, (_, i) => tf.fill([5], i + 1));
    const sum = tf.addN(parts);
    const gpu = await watchGpu('addN');
    expect(Array.from(await gpu.read(sum))).toEqual(Array(5).fill((n * (n + 1)) / 2));
    await gpu.settle();
    tf.dispose([...parts, sum]);
  });

  it('a validation error during a watched stretch throws gpu_error', async () => {
    const gpu = await watchGpu('step 0');
    device().createBuffer({ size: 16, usage: badUsage() });
    const e = await gpu.settle().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TrainerError);
    expect((e as TrainerError).code).toBe('gpu_error');
    expect((e as TrainerError).message).toMatch(/step 0/);
  });

  it('an uncaptured error between watches throws at the next watch', async () => {
    device().createBuffer({ size: 16, usage: badUsage() });
    await tf.tensor1d([1, 2]).data(); // lets the event arrive
    const e = await watchGpu('step 1').catch((x: unknown) => x);
    expect((e as TrainerError).code).toBe('gpu_error');
    await (await watchGpu('step 2')).settle(); // reported once, then clean
  });

  it('a lost device throws gpu_error, and useBackend gives a new device', async () => {
    const x = tf.tensor1d([1, 2, 3]);
    const gpu = await watchGpu('step 3');
    device().destroy();
    const e = await gpu
      .read(x.square())
      .then(() => gpu.settle())
      .catch((err: unknown) => err);
    expect((e as TrainerError).code).toBe('gpu_error');
    expect(await useBackend('webgpu')).toBe('webgpu');
    const y = tf.tensor1d([1, 2, 3]).square();
    expect(Array.from(await y.data())).toEqual([1, 4, 9]);
  });
});
