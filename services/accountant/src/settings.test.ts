import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSettings } from './settings.js';
import { startAccountant } from './start.js';

describe('service settings', () => {
  it('defaults, environment variables, options over variables, and refusals that name the variable', () => {
    expect(resolveSettings({}, {})).toEqual({
      trustProxy: false,
      requestTimeoutSeconds: 60,
      headersTimeoutSeconds: 20,
      keepAliveTimeoutSeconds: 65,
      maxConnections: 1024,
      idempotencyRetentionDays: 7,
      maxBudgetsPerTenant: 1000,
      maxRunsPerTenant: 100_000,
    });
    const env = {
      DPLEDGER_TRUST_PROXY: 'loopback',
      DPLEDGER_MAX_CONNECTIONS: '50',
      DPLEDGER_IDEMPOTENCY_RETENTION_DAYS: '30',
    };
    const want = { trustProxy: 'loopback', maxConnections: 10, idempotencyRetentionDays: 30 };
    expect(resolveSettings({ maxConnections: 10 }, env)).toMatchObject(want);
    expect(() => resolveSettings({}, { DPLEDGER_REQUEST_TIMEOUT_S: 'soon' })).toThrow(/DPLEDGER_REQUEST_TIMEOUT_S/);
    expect(() => resolveSettings({}, { DPLEDGER_MAX_RUNS: '0' })).toThrow(/DPLEDGER_MAX_RUNS/);
    const slowHeaders = { requestTimeoutSeconds: 5, headersTimeoutSeconds: 10 };
    expect(() => resolveSettings(slowHeaders, {})).toThrow(/headers timeout/);
    // a typed StartupError, so `dpledger serve` prints it as one line with exit 2
    const typed = expect.objectContaining({ name: 'StartupError', code: 'invalid_config' });
    expect(() => resolveSettings({}, { DPLEDGER_MAX_RUNS: '0' })).toThrow(typed);
  });

  it('startAccountant sets the server timeouts and connection cap, and trusts the proxy it is told to', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpledger-start-'));
    try {
      const svc = await startAccountant({
        port: 0,
        dataDir: dir,
        logLevel: 'silent',
        requestTimeoutSeconds: 30,
        headersTimeoutSeconds: 10,
        keepAliveTimeoutSeconds: 5,
        maxConnections: 7,
        trustProxy: 1,
      });
      expect(svc.server.requestTimeout).toBe(30_000);
      expect(svc.server.headersTimeout).toBe(10_000);
      expect(svc.server.keepAliveTimeout).toBe(5_000);
      expect(svc.server.maxConnections).toBe(7);
      const res = await fetch(`${svc.url}/healthz`, { headers: { 'X-Forwarded-Proto': 'https' } });
      expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000');
      await svc.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
