import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveAdminToken } from './admin-token.js';
import { ADMIN, auth, budgetAndRun, testApp } from './testing/test-deps.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('admin token', () => {
  it('is generated once into the data dir with mode 0600, reused after, and a given token wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpledger-admin-'));
    dirs.push(dir);
    const first = resolveAdminToken(dir);
    expect(first.path).toBe(join(dir, 'admin-token'));
    expect(statSync(first.path!).mode & 0o777).toBe(0o600);
    expect(first.token.length).toBeGreaterThanOrEqual(40);
    expect(readFileSync(first.path!, 'utf8').trim()).toBe(first.token);
    expect(resolveAdminToken(dir)).toEqual(first);
    expect(resolveAdminToken(dir, 'from-the-environment-0123')).toEqual({ token: 'from-the-environment-0123' });
  });
});

describe('logs', () => {
  it('are JSON lines with request ids and never carry tokens, keys or bodies', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const t = await testApp({ logger: pino({ level: 'info' }, sink) });
    try {
      const key = await t.key('logged');
      const { run } = await budgetAndRun(t, key);
      await request(t.app)
        .post(`/v1/runs/${run.id}/events`)
        .set(auth(key))
        .set('X-Request-Id', 'req-42')
        .send({ events: [{ kind: 'gaussian', noise_multiplier: 3.25 }] });
      await request(t.app).get('/v1/budgets').set(auth('dpl_wrong-key-value'));
      const all = lines.join('');
      expect(lines.length).toBeGreaterThan(3);
      for (const l of lines) JSON.parse(l);
      expect(all).toContain('"req_id":"req-42"');
      for (const secret of [ADMIN, key, 'dpl_wrong-key-value', '3.25']) expect(all).not.toContain(secret);
    } finally {
      await t.close();
    }
  });
});
