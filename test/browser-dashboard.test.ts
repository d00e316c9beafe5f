/**
 * The dashboard in a real browser: Debian's chromium (headless, via playwright-core) logs in with an API key, finds
 * a run that this test logged through @dpledger/client, opens it, sees "verified", downloads the report JSON and
 * verifies it. A screenshot is kept in test-artifacts/. Fails (does not skip) when chromium is missing.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAccountant } from '@dpledger/accountant';
import { verifyReport } from '@dpledger/audit';
import { createApiKey, createClient } from '@dpledger/client';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const step = {
  kind: 'poisson_sampled',
  sampling_probability: 0.01,
  event: { kind: 'gaussian', noise_multiplier: 1.1 },
} as const;

describe('dashboard in headless chromium', () => {
  let dataDir: string;
  let service: Awaited<ReturnType<typeof startAccountant>>;
  let browser: Browser;
  let apiKey: string;
  let runId: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `chromium not found at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`,
      );
    dataDir = mkdtempSync(join(tmpdir(), 'dpledger-dash-'));
    service = await startAccountant({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
    apiKey = (await createApiKey(service.url, service.adminToken, 'browser-test')).api_key;
    const client = createClient({ baseUrl: service.url, apiKey });
    const budget = await client.createBudget({
      name: 'Fashion-MNIST <b>prod</b>',
      epsilon: 3,
      delta: 1e-5,
      accountant: 'rdp',
      neighboring_relation: 'add_or_remove_one',
    });
    const run = await client.createRun({
      budget_id: budget.id,
      name: 'browser-test run',
      sampler: { kind: 'poisson', dataset_size: 10_000, expected_batch_size: 100 },
      noise_rng: 'secure',
    });
    runId = run.id;
    for (let i = 0; i < 3; i++) {
      const r = await client.reserve(run.id, { steps: 100, event: step });
      await client.commit(r.id, 100);
    }
    await client.closeRun(run.id, {
      model_digest: { sha256: 'a'.repeat(64) },
      dataset_digest: { sha256: 'b'.repeat(64) },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it('logs in, sees the run, opens it, sees "verified", and downloads a report JSON that verifies', async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 1400 } });
    const page = await context.newPage();
    await page.goto(`${service.url}/`);
    await page.fill('#api_key', apiKey);
    await Promise.all([
      page.waitForResponse((r) => r.url() === `${service.url}/login`),
      page.click('button[type=submit]'),
    ]);
    await page.waitForSelector('h1:text("Overview")');
    expect(page.url()).not.toContain(apiKey);

    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'dpl_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(session!.value).not.toContain(apiKey);

    expect(await page.textContent('body')).toContain('Fashion-MNIST <b>prod</b>');
    expect(await page.locator('b', { hasText: 'prod' }).count()).toBe(0);
    expect(await page.locator('svg.gauge').count()).toBe(1);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'browser-dashboard-overview.png'), fullPage: true });
    await page.click('text=browser-test run');
    await page.waitForURL(`${service.url}/runs/${runId}`);
    expect((await page.textContent('#verification'))?.trim()).toBe('verified');
    expect(await page.locator('svg.curve path.eps').count()).toBe(1);

    await page.screenshot({ path: join(artifacts, 'browser-dashboard.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-json')]);
    const file = join(artifacts, 'browser-dashboard-report.json');
    await download.saveAs(file);
    const envelope = JSON.parse(readFileSync(file, 'utf8'));
    const { keys } = (await (await fetch(`${service.url}/v1/keys`)).json()) as {
      keys: Parameters<typeof verifyReport>[1] & unknown[];
    };
    const verified = verifyReport(envelope, keys);
    expect(verified.predicate.run.id).toBe(runId);
    expect(verified.predicate.event_count).toBe(300);
    await context.close();
  });
});
