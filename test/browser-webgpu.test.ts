/**
 * The WebGPU code path in a browser: the trainer's per-example norms and clipped gradient sums on tfjs's webgpu
 * backend in headless Chromium (WebGPU on SwiftShader's Vulkan) equal the cpu backend's to 1e-4 relative. The CNN
 * has 8 weight tensors: its norms go through an AddN of 8, which tfjs 4.22 gets silently wrong on webgpu.
 * Needs Debian's chromium (never skips).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HarnessResult } from '../packages/trainer/browser/entry.js';
import { relativeError, runHarnessInChromium, type HarnessSession } from './browser-harness.js';

// Without the Vulkan + SwiftShader flags, WebGPU in headless Chromium reads back zeros and loses its device.
const WEBGPU_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
];

describe('per-example norms and clipped sums on webgpu in headless Chromium', () => {
  let session: HarnessSession | undefined;
  let result: HarnessResult;

  beforeAll(async () => {
    session = await runHarnessInChromium('webgpu', WEBGPU_FLAGS);
    ({ result } = session);
  });

  afterAll(async () => {
    await session?.close();
  });

  it("runs on tfjs's webgpu backend in the page, in shaders", () => {
    expect(result.activeBackend).toBe('webgpu');
    expect(result.shaderPrograms).toBeGreaterThan(10);
    expect(result.models.map((m) => m.gpu.backend)).toEqual(['webgpu', 'webgpu']);
    expect(result.models.find((m) => m.name === 'cnn')!.shapes).toHaveLength(8);
  });

  it.each(['mlp', 'cnn'])('%s: norms and clipped sums equal cpu to 1e-4 relative, weight by weight', (name) => {
    const run = result.models.find((m) => m.name === name)!;
    expect(run.cpu.norms.some((n) => n > run.clipNorm * 1.01)).toBe(true);
    expect(relativeError(run.gpu.norms, run.cpu.norms)).toBeLessThan(1e-4);
    expect(run.gpu.sums.length).toBe(run.shapes.length);
    run.cpu.sums.forEach((cpu, i) => expect(relativeError(run.gpu.sums[i]!, cpu), `weight ${i}`).toBeLessThan(1e-4));
  });
});
