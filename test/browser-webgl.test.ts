/**
 * The GPU code path, proven in a browser: the trainer's clipped gradient sums on tfjs's webgl backend in headless
 * Chromium (SwiftShader stands in for a GPU) equal the cpu backend's to 1e-4 relative (issue 4, tests).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HarnessResult } from '../packages/trainer/browser/entry.js';
import { relativeError, runHarnessInChromium, type HarnessSession } from './browser-harness.js';

describe('clipped gradient sums on webgl in headless Chromium', () => {
  let session: HarnessSession | undefined;
  let page: Page;
  let result: HarnessResult;

  beforeAll(async () => {
    session = await runHarnessInChromium('webgl', ['--use-angle=swiftshader', '--enable-unsafe-swiftshader']);
    ({ page, result } = session);
  });

  afterAll(async () => {
    await session?.close();
  });

  it("runs on tfjs's webgl backend in the page, in shaders", async () => {
    expect(result.activeBackend).toBe('webgl');
    expect(result.shaderPrograms).toBeGreaterThan(10);
    expect(result.float32Textures).toBe(true);
    expect(
      await page.evaluate(() =>
        (window as unknown as { harness: Promise<HarnessResult> }).harness.then((r) =>
          r.models.map((m) => m.gpu.backend),
        ),
      ),
    ).toEqual(['webgl', 'webgl']);
  });

  it.each(['mlp', 'cnn'])('%s: webgl clipped sums equal cpu to 1e-4 relative, weight by weight', (name) => {
    const run = result.models.find((m) => m.name === name)!;
    expect(run.gpu.sums.length).toBe(run.shapes.length);
    run.cpu.sums.forEach((cpu, i) => {
      expect(cpu.length).toBe(run.shapes[i]!.reduce((p, q) => p * q, 1));
      expect(relativeError(run.gpu.sums[i]!, cpu), `weight ${i}`).toBeLessThan(1e-4);
    });
  });

  it.each(['mlp', 'cnn'])('%s: the clip norm binds for some examples and not others', (name) => {
    const run = result.models.find((m) => m.name === name)!;
    expect(run.cpu.norms.some((n) => n > run.clipNorm * 1.01)).toBe(true);
    expect(run.cpu.norms.some((n) => n < run.clipNorm * 0.99)).toBe(true);
    expect(relativeError(run.gpu.norms, run.cpu.norms)).toBeLessThan(1e-4);
  });
});
