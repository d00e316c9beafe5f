import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAccountant, type RunningAccountant } from '@dpledger/accountant';
import { fetchKeys, listApiKeys } from '@dpledger/client';
import { run } from './demo.js';

const SAMPLE = new URL('../../../trainer/fixtures/fashion-mnist-sample', import.meta.url).pathname;

describe('dpledger demo --server URL --json', () => {
  let svc: RunningAccountant;
  beforeAll(async () => {
    svc = await startAccountant({
      port: 0,
      host: '127.0.0.1',
      dataDir: mkdtempSync(join(tmpdir(), 'acct-demo-')),
      adminToken: 'admin-token-for-tests-0123456789',
      logLevel: 'silent',
    });
  });
  afterAll(async () => {
    await svc?.close();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('trains against a running accountant (tenant made with the admin token), prints one JSON document', async () => {
    const out = mkdtempSync(join(tmpdir(), 'demo-server-'));
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((t) => ((stdout += String(t)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const argv = [
      '--server',
      `${svc.url}/`,
      '--admin-token',
      svc.adminToken,
      '--json',
      '--steps',
      '2',
      '--train-size',
      '40',
      '--test-size',
      '10',
      '--batch-size',
      '10',
      '--canaries',
      '0',
      '--data',
      SAMPLE,
      '--out',
      out,
    ];
    expect(await run(argv)).toBe(0);
    vi.restoreAllMocks();
    const result = JSON.parse(stdout); // the whole of stdout: no summary table around it
    expect(result).toMatchObject({
      accountant: `accountant at ${svc.url}`,
      steps: 2,
      stepsTaken: 2,
      trainSize: 40,
      budget: { epsilon: 3 },
    });
    expect(result.verify_command).toMatch(
      /^npx dpledger verify \S+report\.json --key \S+\.jwk --events \S+events\.json$/,
    );
    expect(existsSync(join(out, '.dpledger'))).toBe(false); // no in-process accountant was started
    // the running service made the demo tenant's key, logged the run and signed its report
    expect((await listApiKeys(svc.url, svc.adminToken)).map((k) => k.tenant)).toContain('demo');
    expect((await fetchKeys(svc.url)).map((k) => k.kid)).toContain(result.keyid);
    const statement = JSON.parse(
      Buffer.from(JSON.parse(readFileSync(result.files.reportJson, 'utf8')).payload, 'base64').toString('utf8'),
    );
    expect(statement.predicate).toMatchObject({
      event_count: 2,
      sampler: { kind: 'poisson', dataset_size: 40, expected_batch_size: 10 },
    });
  });
});
