/**
 * End to end: `dpledger serve` in a child process, driven by @dpledger/client until the budget refuses (409),
 * the run closed, its report downloaded with `dpledger report` and verified offline with `dpledger verify`;
 * one flipped payload byte makes verification fail. Runs the CLI from source (test/support/dpledger-from-source.mjs).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BudgetExhaustedError, createApiKey, createClient } from '@dpledger/client';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startChildServer } from '../services/accountant/src/testing/child-server.js';

const dir = mkdtempSync(join(tmpdir(), 'dpledger-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const step = {
  kind: 'poisson_sampled',
  sampling_probability: 0.01,
  event: { kind: 'gaussian', noise_multiplier: 1.1 },
} as const;

describe('dpledger serve end to end', () => {
  it('filters before release, signs a report that verifies offline, and a flipped byte fails', async () => {
    const server = await startChildServer(join(dir, 'data'));
    try {
      expect(server.adminTokenPath).toBe(join(dir, 'data', 'admin-token'));
      expect(statSync(server.adminTokenPath!).mode & 0o777).toBe(0o600);
      const adminToken = readFileSync(server.adminTokenPath!, 'utf8').trim();
      const { api_key } = await createApiKey(server.url, adminToken, 'e2e');
      const c = createClient({ baseUrl: server.url, apiKey: api_key });
      const budget = await c.createBudget({ name: 'fashion-mnist', epsilon: 2, delta: 1e-5 });
      const run = await c.createRun({
        budget_id: budget.id,
        name: 'e2e',
        sampler: { kind: 'poisson', dataset_size: 60000, expected_batch_size: 600 },
        noise_rng: 'secure',
      });
      let logged = 0;
      let refused: unknown;
      while (refused === undefined) {
        try {
          const res = await c.reserve(run.id, { steps: 100, event: step });
          await c.commit(res.id, 100);
          logged += 100;
          await c.appendEvents(run.id, [step]);
          logged += 1;
        } catch (err) {
          refused = err;
        }
      }
      expect(refused).toBeInstanceOf(BudgetExhaustedError);
      expect(logged).toBeGreaterThan(1000);
      const b = await c.getBudget(budget.id);
      expect(b.epsilon_spent).toBeLessThanOrEqual(2);
      expect((await c.listEvents(run.id)).length).toBe(logged);

      const digest = { sha256: 'c'.repeat(64) };
      await c.closeRun(run.id, { model_digest: digest, dataset_digest: digest });
      const reportFile = join(dir, 'report.json');
      const dl = await runCli(['report', run.id, '--server', server.url, '--out', reportFile, '--api-key', api_key]);
      expect(dl.code, dl.stderr).toBe(0);
      const open = await runCli([
        'report',
        'run_missing',
        '--server',
        server.url,
        '--out',
        join(dir, 'x.json'),
        '--api-key',
        api_key,
      ]);
      expect(open.code).toBe(1);
      expect(open.stderr).toContain('404 not_found');
      const keyFile = join(dir, 'keys.jwk');
      writeFileSync(keyFile, JSON.stringify({ keys: await c.listKeys() }));
      const ok = await runCli(['verify', reportFile, '--key', keyFile]);
      expect(ok.code, ok.stderr + ok.stdout).toBe(0);

      const envelope = JSON.parse(readFileSync(reportFile, 'utf8'));
      const payload = Buffer.from(envelope.payload, 'base64');
      const at = payload.indexOf(Buffer.from('"event_count":')) + 14;
      payload[at] = payload[at] === 0x39 ? 0x38 : payload[at]! + 1;
      writeFileSync(join(dir, 'tampered.json'), JSON.stringify({ ...envelope, payload: payload.toString('base64') }));
      const bad = await runCli(['verify', join(dir, 'tampered.json'), '--key', keyFile]);
      expect(bad.code).not.toBe(0);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  });
});
