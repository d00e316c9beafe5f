/**
 * Test support: builds the GPU harness of packages/trainer/browser, serves it on 127.0.0.1 and runs it in headless
 * Debian Chromium with the given flags, for test/browser-webgl.test.ts and test/browser-webgpu.test.ts.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import type { HarnessResult } from '../packages/trainer/browser/entry.js';

const CHROMIUM = '/usr/bin/chromium';
const harnessDir = fileURLToPath(new URL('../packages/trainer/browser/', import.meta.url));
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

/** Serves the harness page and its bundle's chunks (nothing else) on 127.0.0.1 at a free port. */
async function serveHarness(bundleDir: string): Promise<{ server: Server; url: string }> {
  const files: Record<string, { path: string; type: string }> = {
    '/': { path: `${harnessDir}index.html`, type: 'text/html' },
  };
  for (const name of await readdir(bundleDir)) {
    if (/^[\w.-]+\.js$/.test(name)) files[`/${name}`] = { path: join(bundleDir, name), type: 'text/javascript' };
  }
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
export function relativeError(a: number[], b: number[]): number {
  let diff = 0;
  let scale = 0;
  b.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(a[i]! - v));
    scale = Math.max(scale, Math.abs(v));
  });
  return a.length !== b.length ? Number.POSITIVE_INFINITY : diff / scale;
}

/** A harness run in Chromium: its result, the page (still open) and how to close everything. */
export interface HarnessSession {
  result: HarnessResult;
  page: Page;
  close(): Promise<void>;
}

/**
 * Builds, serves and runs the harness on `target` in headless Chromium started with `flags`; writes the result and
 * a screenshot to test-artifacts/browser-<target>.*. Throws (never skips) when Chromium is missing.
 * @example const s = await runHarnessInChromium('webgl', ['--use-angle=swiftshader', '--enable-unsafe-swiftshader']);
 */
export async function runHarnessInChromium(target: 'webgl' | 'webgpu', flags: string[]): Promise<HarnessSession> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: this test needs Debian's chromium (apt-get install chromium)`);
  const bundleDir = await mkdtemp(join(tmpdir(), `dpledger-${target}-`)); // a private dir: runs may overlap
  let browser: Browser | undefined;
  let server: Server | undefined;
  const close = async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await rm(bundleDir, { recursive: true, force: true });
  };
  try {
    await build({ configFile: `${harnessDir}vite.config.ts`, logLevel: 'error', build: { outDir: bundleDir } });
    const served = await serveHarness(bundleDir);
    server = served.server;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        ...flags,
      ],
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${served.url}?backend=${target}`);
    const result = await page
      .evaluate(
        () =>
          (window as unknown as { harness?: Promise<HarnessResult> }).harness ??
          Promise.reject(new Error('the harness did not load')),
      )
      .catch((e: unknown) => {
        throw new Error(`harness failed in the page: ${String(e)} ${errors.join('; ')}`);
      });
    await mkdir(artifacts, { recursive: true });
    await writeFile(`${artifacts}browser-${target}.json`, JSON.stringify(result, null, 2));
    await page.screenshot({ path: `${artifacts}browser-${target}.png`, fullPage: true });
    return { result, page, close };
  } catch (e) {
    await close();
    throw e;
  }
}
