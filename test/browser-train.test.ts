/**
 * `/train` end to end in headless Chromium (issue 12, item 4): a logged-in user trains the tanh CNN with DP-SGD in
 * the page on the shipped Fashion-MNIST sample, every step reserved and committed at a real in-process accountant
 * with a run-scoped token (never the tenant's API key, and no training data sent), then the page closes the run and
 * links to the dashboard's run page, whose report verifies (`dpledger verify --strict`). Fails (does not skip) when
 * chromium is missing.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAccountant } from '@dpledger/accountant';
import { verifyReport } from '@dpledger/audit';
import { createApiKey, createClient } from '@dpledger/client';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const viteConfig = fileURLToPath(new URL('../packages/trainer/browser/train-vite.config.ts', import.meta.url));
const dpledgerBin = fileURLToPath(new URL('../packages/cli/bin/dpledger.js', import.meta.url));
const STEPS = 30;
const BATCH = 8;

describe('/train in headless chromium', () => {
  let dataDir: string;
  let bundleDir: string;
  let service: Awaited<ReturnType<typeof startAccountant>>;
  let browser: Browser;
  let apiKey: string;
  let budgetId: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `chromium not found at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`,
      );
    dataDir = mkdtempSync(join(tmpdir(), 'dpledger-train-'));
    bundleDir = mkdtempSync(join(tmpdir(), 'dpledger-train-bundle-')); // a private dir: runs may overlap
    await build({ configFile: viteConfig, logLevel: 'error', build: { outDir: bundleDir } });
    service = await startAccountant({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      logLevel: 'silent',
      trainBundleDir: bundleDir,
    });
    apiKey = (await createApiKey(service.url, service.adminToken, 'train-test')).api_key;
    const budget = await createClient({ baseUrl: service.url, apiKey }).createBudget({
      name: 'browser budget',
      epsilon: 8,
      delta: 1e-5,
      accountant: 'rdp',
      neighboring_relation: 'add_or_remove_one',
    });
    budgetId = budget.id;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
    for (const d of [dataDir, bundleDir]) if (d !== undefined) rmSync(d, { recursive: true, force: true });
  });

  it('trains a few DP steps with a run token, closes the run and links to a report that verifies', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 1400 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const sent: { method: string; path: string; authorization?: string; body: string }[] = [];
    page.on('request', (r) => {
      const headers = r.headers();
      sent.push({
        method: r.method(),
        path: new URL(r.url()).pathname,
        ...(headers['authorization'] !== undefined ? { authorization: headers['authorization'] } : {}),
        body: r.postData() ?? '',
      });
    });
    // without a session, /train goes to the login page
    await page.goto(`${service.url}/train`);
    expect(new URL(page.url()).pathname).toBe('/');
    await page.fill('#api_key', apiKey);
    await Promise.all([
      page.waitForResponse((r) => r.url() === `${service.url}/login`),
      page.click('button[type=submit]'),
    ]);
    await page.waitForSelector('h1:text("Overview")');

    await page.goto(`${service.url}/train?backend=wasm`);
    await page.waitForSelector('body[data-state="ready"]');
    await page.selectOption('select[name=budget_id]', budgetId);
    await page.fill('input[name=steps]', String(STEPS));
    await page.fill('input[name=batch]', String(BATCH));
    await page.click('#start');
    await page.waitForSelector('body[data-state="done"], body[data-state="failed"]', { timeout: 240_000 });
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'browser-train.png'), fullPage: true });
    expect(await page.textContent('#status'), errors.join('; ')).toMatch(/^done/);
    expect(await page.textContent('#backend')).toBe('wasm');
    expect(await page.textContent('#steps-done')).toBe(String(STEPS));
    expect(Number(await page.textContent('#epsilon'))).toBeGreaterThan(0);
    expect(await page.textContent('dl.live')).toContain('private, not DP');
    const runId = (await page.textContent('#run'))!.trim();

    // every API call carried the run token; the API key never left the login form, and no data was posted
    const api = sent.filter((r) => r.path.startsWith('/v1/'));
    expect(api.length).toBeGreaterThanOrEqual(3);
    for (const r of api) expect(r.authorization, `${r.method} ${r.path}`).toMatch(/^Bearer dprt_/);
    expect(new Set(api.map((r) => `${r.method} ${r.path.replace(/(run|res)_[A-Za-z0-9_-]+/g, '$1_*')}`))).toEqual(
      new Set(['POST /v1/runs/run_*/reservations', 'POST /v1/reservations/res_*/commit', 'POST /v1/runs/run_*/close']),
    );
    for (const r of sent.filter((x) => x.path !== '/login')) expect(r.body.includes(apiKey)).toBe(false);
    expect(Math.max(...sent.map((r) => r.body.length))).toBeLessThan(2000);

    // the link opens the dashboard's run page; the run is closed with exactly the steps taken, and its report verifies
    await page.click('#report');
    await page.waitForURL(`${service.url}/runs/${runId}`);
    expect(await page.textContent('body')).toContain(runId);
    const client = createClient({ baseUrl: service.url, apiKey });
    const run = await client.getRun(runId);
    expect(run.status).toBe('closed');
    expect(run.event_count).toBe(STEPS);
    const verified = verifyReport(await client.getReport(runId), await client.listKeys());
    expect(verified.predicate.run.id).toBe(runId);
    expect(verified.predicate.event_count).toBe(STEPS);
    // and `dpledger verify --strict` accepts it against the server's keys, Merkle root recomputed from the event log
    const reportFile = join(dataDir, 'report.json');
    const eventsFile = join(dataDir, 'events.json');
    writeFileSync(reportFile, JSON.stringify(await client.getReport(runId)));
    writeFileSync(eventsFile, JSON.stringify(await client.listEvents(runId)));
    // asynchronously: the accountant answering the CLI's key fetch runs in this process
    const cli = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        process.execPath,
        [dpledgerBin, 'verify', reportFile, '--server', service.url, '--events', eventsFile, '--strict'],
        (err, stdout, stderr) =>
          resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out: stdout + stderr }),
      );
    });
    expect(cli.code, cli.out).toBe(0);
    expect(cli.out).toContain('VALID');
    await context.close();
  }, 300_000);
});
