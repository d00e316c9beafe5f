import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAccountant, type RunningAccountant } from '@dpledger/accountant';
import { createApiKey, createClient } from '@dpledger/client';
import {
  buildStatement,
  eventLogCommitment,
  generateSigningKey,
  signReport,
  type EventRecord,
  type PrivacyReportPredicate,
} from '@dpledger/audit';
import { CliError } from '../cli-error.js';
import { run, type VerifyIo } from './verify.js';

const STEP = {
  kind: 'poisson_sampled',
  sampling_probability: 0.01,
  event: { kind: 'gaussian', noise_multiplier: 1.1 },
} as const;
const records: EventRecord[] = Array.from({ length: 4 }, (_, i) => ({
  sequence: i + 1,
  run_id: 'run_9',
  event: STEP,
  recorded_at: `2026-11-28T12:00:0${i}.000Z`,
}));
const predicate: PrivacyReportPredicate = {
  run: { id: 'run_9', name: 'mnist', created_at: '2026-11-28T12:00:00.000Z', closed_at: '2026-11-28T12:01:00.000Z' },
  budget: { id: 'bud_9', name: 'mnist budget', epsilon: 3, delta: 1e-5, accountant: 'rdp' },
  neighboring_relation: 'add_or_remove_one',
  sampler: { kind: 'poisson', dataset_size: 60000, expected_batch_size: 600 },
  noise_rng: 'secure',
  ledger: { kind: 'composed', events: [{ kind: 'self_composed', count: 4, event: STEP }] },
  event_count: 4,
  merkle_root: eventLogCommitment(records),
  epsilon: { delta: 1e-5, rdp: { epsilon: 0.25, order: 32 }, pld: null },
  budget_remaining: { epsilon: 2.75 },
  issued_at: '2026-11-28T12:01:01.000Z',
  service: { name: 'dpledger-accountant', version: '0.1.0' },
};
const key = generateSigningKey();
const envelope = signReport(
  buildStatement({ model_digest: { sha256: '1'.repeat(64) }, dataset_digest: { sha256: '2'.repeat(64) }, predicate }),
  key,
);

const dir = mkdtempSync(join(tmpdir(), 'dpledger-verify-'));
const file = (name: string, value: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
};
const reportPath = file('report.json', envelope);
const keyPath = file('key.jwk', key.publicJwk);

function capture(fetchImpl: typeof fetch = () => Promise.reject(new Error('no network in tests'))) {
  const io = { stdout: '', stderr: '' };
  const sink: VerifyIo = { out: (t) => void (io.stdout += t), err: (t) => void (io.stderr += t), fetch: fetchImpl };
  return { io, sink };
}

describe('dpledger verify', () => {
  it('exit 0 and a summary for a valid report and its key', async () => {
    const { io, sink } = capture();
    expect(await run([reportPath, '--key', keyPath], sink)).toBe(0);
    expect(io.stdout).toContain(`VALID: signature verified with key ${key.kid}`);
    expect(io.stdout).toContain('mnist (run_9)');
    expect(io.stdout).toContain('epsilon 0.25 at delta 0.00001 (RDP, order 32)');
    expect(io.stdout).toContain(`subject    model sha256:${'1'.repeat(64)}`);
    expect(io.stdout).toContain(`subject    dataset-manifest sha256:${'2'.repeat(64)}`);
  });

  it("a seeded run's report is verified with the seed-secrecy caveat on its epsilon, in text and JSON", async () => {
    const seeded = file(
      'seeded.json',
      signReport(
        buildStatement({
          model_digest: { sha256: '1'.repeat(64) },
          dataset_digest: { sha256: '2'.repeat(64) },
          predicate: { ...predicate, noise_rng: 'seeded' },
        }),
        key,
      ),
    );
    const text = capture();
    expect(await run([seeded, '--key', keyPath], text.sink)).toBe(0);
    expect(text.io.stdout).toContain(
      'epsilon 0.25 (seeded run: holds only while the seed stays secret) at delta 0.00001',
    );
    const json = capture();
    expect(await run([seeded, '--key', keyPath, '--json'], json.sink)).toBe(0);
    expect(JSON.parse(json.io.stdout)).toMatchObject({
      noise_rng: 'seeded',
      epsilon_caveat: 'seeded run: holds only while the seed stays secret',
    });
    const secure = capture();
    expect(await run([reportPath, '--key', keyPath], secure.sink)).toBe(0);
    expect(secure.io.stdout).not.toContain('seed');
  });

  it('--json prints the same facts as JSON; a JWK set works as the key file', async () => {
    const { io, sink } = capture();
    const jwks = file('keys.json', { keys: [generateSigningKey().publicJwk, key.publicJwk] });
    expect(await run([reportPath, '--key', jwks, '--json'], sink)).toBe(0);
    const out = JSON.parse(io.stdout);
    expect(out).toMatchObject({
      valid: true,
      keyid: key.kid,
      delta: 1e-5,
      run: { id: 'run_9' },
      epsilon: { rdp: 0.25, rdp_order: 32, pld: null },
    });
    expect(out.subjects).toHaveLength(2);
  });

  it('one flipped payload byte: exit 1 with the reason', async () => {
    const payload = Buffer.from(envelope.payload, 'base64');
    const at = payload.indexOf('0.25');
    payload[at + 3] = '6'.charCodeAt(0); // 0.25 -> 0.26
    const tampered = file('tampered.json', { ...envelope, payload: payload.toString('base64') });
    const { io, sink } = capture();
    expect(await run([tampered, '--key', keyPath], sink)).toBe(1);
    expect(io.stderr).toMatch(/^NOT VALID \(bad_signature\)/);
    expect(io.stdout).toBe('');
    const json = capture();
    expect(await run([tampered, '--key', keyPath, '--json'], json.sink)).toBe(1);
    expect(JSON.parse(json.io.stdout)).toMatchObject({ valid: false, code: 'bad_signature' });
  });

  it('another key, a broken file, a non-JSON report: exit 1', async () => {
    const other = file('other.jwk', generateSigningKey().publicJwk);
    for (const [args, code] of [
      [[reportPath, '--key', other], 'unknown_key'],
      [[reportPath, '--key', file('bad.jwk', { kty: 'RSA' })], 'bad_key'],
      [[file('notjson.json', '{"payload":'), '--key', keyPath], 'bad_json'],
      [[join(dir, 'missing.json'), '--key', keyPath], 'unreadable'],
      [[file('empty-sigs.json', { ...envelope, signatures: [] }), '--key', keyPath], 'bad_envelope'],
    ] as const) {
      const { io, sink } = capture();
      expect(await run([...args], sink), code).toBe(1);
      expect(io.stderr).toContain(`(${code})`);
    }
  });

  it('--server fetches <url>/v1/keys', async () => {
    const seen: string[] = [];
    const fake: typeof fetch = async (url) => {
      seen.push(String(url));
      return new Response(JSON.stringify({ keys: [key.publicJwk] }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    };
    const { sink } = capture(fake);
    expect(await run([reportPath, '--server', 'http://127.0.0.1:9/'], sink)).toBe(0);
    expect(seen).toEqual(['http://127.0.0.1:9/v1/keys']);
    const down = capture(async () => new Response('no', { status: 503 }));
    expect(await run([reportPath, '--server', 'http://127.0.0.1:9'], down.sink)).toBe(1);
    expect(down.io.stderr).toContain('HTTP 503');
  });

  it('--events recomputes the Merkle root and fails on a changed record', async () => {
    const { io, sink } = capture();
    expect(await run([reportPath, '--key', keyPath, '--events', file('events.json', { events: records })], sink)).toBe(
      0,
    );
    expect(io.stdout).toContain('recomputed from the event log: match');
    const changed = records.map((r, i) => (i === 1 ? { ...r, recorded_at: '2026-11-28T13:00:00.000Z' } : r));
    const bad = capture();
    expect(await run([reportPath, '--key', keyPath, '--events', file('events2.json', changed)], bad.sink)).toBe(1);
    expect(bad.io.stderr).toContain('(merkle_mismatch)');
  });

  it('prints the compliance checks; --strict fails on a failed one (shuffle run logging poisson_sampled)', async () => {
    const shuffle = signReport(
      buildStatement({
        model_digest: { sha256: '1'.repeat(64) },
        dataset_digest: { sha256: '2'.repeat(64) },
        predicate: { ...predicate, sampler: { ...predicate.sampler, kind: 'shuffle' } },
      }),
      key,
    );
    const path = file('shuffle.json', shuffle);
    const lenient = capture();
    expect(await run([path, '--key', keyPath], lenient.sink)).toBe(0);
    expect(lenient.io.stdout).toMatch(/FAIL Logged events match the declared sampler: declared sampler 'shuffle'/);
    const strict = capture();
    expect(await run([path, '--key', keyPath, '--strict'], strict.sink)).toBe(1);
    expect(strict.io.stderr).toContain('NOT VALID (check_failed)');
    const strictJson = capture();
    expect(await run([path, '--key', keyPath, '--strict', '--json'], strictJson.sink)).toBe(1);
    expect(JSON.parse(strictJson.io.stdout)).toMatchObject({ valid: false, code: 'check_failed' });
    const honest = capture();
    expect(await run([reportPath, '--key', keyPath, '--strict'], honest.sink)).toBe(0);
  });

  it('bad usage is a CliError with exit code 2', async () => {
    const { sink } = capture();
    for (const args of [
      [],
      [reportPath],
      [reportPath, '--key', keyPath, '--server', 'http://x'],
      [reportPath, reportPath, '--key', keyPath],
      [reportPath, '--bogus'],
    ]) {
      await expect(run(args, sink)).rejects.toSatisfy((e: unknown) => e instanceof CliError && e.exitCode === 2);
    }
    expect(readFileSync(reportPath, 'utf8')).toBe(JSON.stringify(envelope));
  });
});

describe('dpledger verify --server against a running accountant', () => {
  let svc: RunningAccountant;
  beforeAll(async () => {
    svc = await startAccountant({
      port: 0,
      host: '127.0.0.1',
      dataDir: mkdtempSync(join(tmpdir(), 'acct-verify-')),
      adminToken: 'admin-token-for-tests-0123456789',
      logLevel: 'silent',
    });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('verifies a report the service signed with the keys it serves, over real HTTP, and its event log', async () => {
    const { api_key } = await createApiKey(svc.url, svc.adminToken, 'acme-verify');
    const client = createClient({ baseUrl: svc.url, apiKey: api_key });
    const budget = await client.createBudget({ name: 'verify', epsilon: 3, delta: 1e-5 });
    const r = await client.createRun({
      budget_id: budget.id,
      name: 'served',
      sampler: { kind: 'poisson', dataset_size: 60000, expected_batch_size: 600 },
      noise_rng: 'secure',
    });
    await client.appendEvents(r.id, [STEP, STEP, STEP]);
    await client.closeRun(r.id, {
      model_digest: { sha256: '3'.repeat(64) },
      dataset_digest: { sha256: '4'.repeat(64) },
    });
    const served = file('served.json', await client.getReport(r.id));
    const events = file('served-events.json', { events: await client.listEvents(r.id) });
    const io = { stdout: '', stderr: '' };
    const real: VerifyIo = {
      out: (t: string) => void (io.stdout += t),
      err: (t: string) => void (io.stderr += t),
      fetch: (...args: Parameters<typeof fetch>) => fetch(...args),
    };
    expect(await run([served, '--server', svc.url, '--events', events], real)).toBe(0);
    const kids = (await client.listKeys()).map((k) => k.kid);
    expect(io.stdout).toMatch(new RegExp(`VALID: signature verified with key (${kids.join('|')})`));
    expect(io.stdout).toContain('recomputed from the event log: match');
    // a key the service does not serve does not verify it
    const other = capture();
    expect(await run([served, '--key', keyPath], other.sink)).toBe(1);
  });
});
