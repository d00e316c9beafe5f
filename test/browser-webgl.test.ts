/**
 * The GPU code path, proven in a browser: the trainer's clipped gradient sums on tfjs's webgl backend in headless
 * Chromium (SwiftShader stands in for a GPU) equal the cpu backend's to 1e-4 relative (issue 4, tests).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HarnessResult } from '../packages/trainer/browser/entry.js';

const CHROMIUM = '/usr/bin/chromium';
const harnessDir = fileURLToPath(new URL('../packages/trainer/browser/', import.meta.url));
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

/** Serves the harness page and its bundle (nothing else) on 127.0.0.1 at a free port. */
async function serveHarness(bundleDir: string): Promise<{ server: Server; url: string }> {
  const files: Record<string, { path: string; type: string }> = {
    '/': { path: `${harnessDir}index.html`, type: 'text/html' },
    '/harness.js': { path: join(bundleDir, 'harness.js'), type: 'text/javascript' },
  };
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://127.0.0.1').pathname];
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    readFile(file.path).then(
      (body) => res.writeHead(200, { 'content-type': file.type }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** Normwise relative error max|a - b| / max|b|. */
function relativeError(a: number[], b: number[]): number {
  let diff = 0;
  let scale = 0;
  b.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(a[i]! - v));
    scale = Math.max(scale, Math.abs(v));
  });
  return a.length !== b.length ? Number.POSITIVE_INFINITY : diff / scale;
}

describe('clipped gradient sums on webgl in headless Chromium', () => {
  let browser: Browser | undefined;
  let server: Server | undefined;
  let page: Page;
  let result: HarnessResult;
  let bundleDir: string | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: this test needs Debian's chromium (apt-get install chromium)`);
    }
    bundleDir = await mkdtemp(join(tmpdir(), 'dpledger-webgl-')); // a private dir: runs may overlap
    await build({ configFile: `${harnessDir}vite.config.ts`, logLevel: 'error', build: { outDir: bundleDir } });
    const served = await serveHarness(bundleDir);
    server = served.server;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--no-first-run', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
    });
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(served.url);
    result = await page.evaluate(() => (window as unknown as { harness: Promise<HarnessResult> }).harness)
      .catch((e: unknown) => {
        throw new Error(`harness failed in the page: ${String(e)} ${errors.join('; ')}`);
      });
    await mkdir(artifacts, { recursive: true });
    await writeFile(`${artifacts}browser-webgl.json`, JSON.stringify(result, null, 2));
    await page.screenshot({ path: `${artifacts}browser-webgl.png`, fullPage: true });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (bundleDir !== undefined) await rm(bundleDir, { recursive: true, force: true });
  });

  it("runs on tfjs's webgl backend in the page, in shaders", async () => {
    expect(result.activeBackend).toBe('webgl');
    expect(result.shaderPrograms).toBeGreaterThan(10);
    expect(result.float32Textures).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { harness: Promise<HarnessResult> }).harness
      .then((r) => r.models.map((m) => m.webgl.backend)))).toEqual(['webgl', 'webgl']);
  });

  it.each(['mlp', 'cnn'])('%s: webgl clipped sums equal cpu to 1e-4 relative, weight by weight', (name) => {
    const run = result.models.find((m) => m.name === name)!;
    expect(run.webgl.sums.length).toBe(run.shapes.length);
    run.cpu.sums.forEach((cpu, i) => {
      expect(cpu.length).toBe(run.shapes[i]!.reduce((p, q) => p * q, 1));
      expect(relativeError(run.webgl.sums[i]!, cpu), `weight ${i}`).toBeLessThan(1e-4);
    });
  });

  it.each(['mlp', 'cnn'])('%s: the clip norm binds for some examples and not others', (name) => {
    const run = result.models.find((m) => m.name === name)!;
    expect(run.cpu.norms.some((n) => n > run.clipNorm * 1.01)).toBe(true);
    expect(run.cpu.norms.some((n) => n < run.clipNorm * 0.99)).toBe(true);
    expect(relativeError(run.webgl.norms, run.cpu.norms)).toBeLessThan(1e-4);
  });
});
