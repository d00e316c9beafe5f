import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { TrainerError } from '../per-sample/trainer-error.js';
import { availableBackends, BACKEND_PREFERENCE, backendChoice, useBackend } from './use-backend.js';
import { registerWasmFixes } from './wasm-fixes.js';

describe('useBackend', () => {
  it('lists the backends Node can run, fastest first, without webgl', async () => {
    const names = await availableBackends();
    expect(names).toContain('wasm');
    expect(names).toContain('cpu');
    expect(names).not.toContain('webgl');
    expect([...names]).toEqual(BACKEND_PREFERENCE.filter((n) => names.includes(n)));
  });

  it("'auto' activates the first available backend", async () => {
    const active = await useBackend();
    expect(active).toBe((await availableBackends())[0]);
    expect(tf.getBackend()).toBe(active);
  });

  it("'auto' says which backend it chose and why, and names what it skipped", async () => {
    const lines: string[] = [];
    const active = await useBackend('auto', { log: (line) => lines.push(line) });
    expect(backendChoice()?.backend).toBe(active);
    expect(lines).toEqual([`@dpledger/trainer backend: ${backendChoice()?.reason}`]);
    if (active !== 'webgpu') expect(backendChoice()?.reason).toMatch(/webgpu skipped: /); // no GPU adapter here
    await useBackend('cpu');
    expect(backendChoice()).toEqual({ backend: 'cpu', reason: 'cpu, as asked' });
  });

  it('activates a named backend and reports it', async () => {
    expect(await useBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await useBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('refuses a backend that is not available here with a coded error', async () => {
    await useBackend('cpu');
    const failure = await useBackend('webgl').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TrainerError);
    expect((failure as TrainerError).code).toBe('backend_unavailable');
    expect((failure as TrainerError).message).toContain('webgl');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('skips the optional tfjs-node packages silently when they are not installed', async () => {
    const installed = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].some((pkg) => {
      try {
        createRequire(import.meta.url).resolve(pkg);
        return true;
      } catch {
        return false;
      }
    });
    expect((await availableBackends()).includes('tensorflow')).toBe(installed);
  });
});

describe('registerWasmFixes', () => {
  it('is idempotent: a second call replaces nothing and warns about nothing', async () => {
    await useBackend('wasm');
    const names = ['BatchMatMul', 'MaxPoolGrad', 'Conv2DBackpropFilter', 'UnsortedSegmentSum'];
    const before = names.map((n) => tf.getKernel(n, 'wasm').kernelFunc);
    const warn = vi.spyOn(console, 'warn');
    registerWasmFixes();
    registerWasmFixes();
    expect(names.map((n) => tf.getKernel(n, 'wasm').kernelFunc)).toEqual(before);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('uses no Math.random in the fixed kernels', async () => {
    await useBackend('wasm');
    const random = vi.spyOn(Math, 'random');
    tf.tidy(() => {
      const x = tf.tensor4d(
        Array.from({ length: 2 * 6 * 6 }, (_, i) => Math.sin(i)),
        [2, 6, 6, 1],
      );
      const w = tf.tensor4d(
        Array.from({ length: 9 * 2 }, (_, i) => Math.cos(i)),
        [3, 3, 1, 2],
      );
      const loss = (v: tf.Tensor) =>
        tf.sum(tf.maxPool(tf.tanh(tf.conv2d(x, v as tf.Tensor4D, 1, 'same')), 2, 1, 'valid'));
      tf.grad(loss)(w).dataSync();
      tf.matMul(x.reshape([12, 6]), x.reshape([12, 6]), true, false).dataSync();
    });
    expect(random).not.toHaveBeenCalled();
    random.mockRestore();
  });
});
