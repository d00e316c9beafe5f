/**
 * `dpledger demo --steps 40` end to end through the CLI in a child process, run from source like the unit tests
 * (test/support/dpledger-from-source.mjs), on the shipped Fashion-MNIST sample. The report is checked here with an
 * independent DSSE + Ed25519 verification written with node:crypto only (no @dpledger/audit).
 */
import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFile } from '@dpledger/trainer';
import { BIN as bin } from '../services/accountant/src/testing/child-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const sample = join(root, 'packages/trainer/fixtures/fashion-mnist-sample');

/** DSSE v1 pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body (DSSE protocol.md). */
function pae(payloadType: string, body: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

/** Verifies one DSSE envelope signature with an Ed25519 JWK (RFC 8037) using node:crypto alone. */
function dsseVerify(
  envelope: { payloadType: string; payload: string; signatures: { keyid?: string; sig: string }[] },
  jwk: { kty: string; crv: string; x: string },
): boolean {
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  const message = pae(envelope.payloadType, Buffer.from(envelope.payload, 'base64'));
  return envelope.signatures.some((s) => verify(null, message, key, Buffer.from(s.sig, 'base64')));
}

describe('dpledger demo --steps 40', () => {
  let out: string;
  let stdout = '';
  let stderr = '';
  let status: number | null = null;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'dpledger-demo-'));
    const res = spawnSync(
      process.execPath,
      [
        bin,
        'demo',
        '--steps',
        '40',
        '--out',
        out,
        '--data',
        sample,
        '--train-size',
        '2000',
        '--test-size',
        '500',
        '--batch-size',
        '64',
      ],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 240_000,
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    stdout = res.stdout;
    stderr = res.stderr;
    status = res.status;
  }, 250_000);

  afterAll(() => {
    if (out !== undefined) rmSync(out, { recursive: true, force: true });
  });

  it('exits 0, says which data it used, shows progress, and prints the summary with the verify command', () => {
    expect(status, stderr).toBe(0);
    expect(stderr).toContain(`dataset: Fashion-MNIST from ${sample}`);
    expect(stderr).toMatch(/step +40\/40 \[#+\] +eps \d\.\d{3} \/ 3 +loss \S+ \(private, not DP\)/);
    // the un-noised loss and the realised batch sizes never reach a file meant to leave the machine
    const payload = Buffer.from(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).payload, 'base64').toString(
      'utf8',
    );
    for (const text of [payload, readFileSync(join(out, 'events.json'), 'utf8'), stdout])
      expect(text).not.toMatch(/loss|batch_sizes/);
    expect(stdout).toMatch(/test accuracy +\d+\.\d%/);
    expect(stdout).toMatch(/epsilon \(RDP\) +\d\.\d{4}/);
    expect(stdout).toMatch(/epsilon \(PLD\) +\d\.\d{4}/);
    expect(stdout).toMatch(
      /audit +epsilon_lower \d+\.\d{3} from \d+ of \d+ right guesses on 1000 gradient canaries: PASS/,
    );
    expect(stdout).toMatch(/npx dpledger verify \S*report\.json --key \S+\.jwk --events \S+events\.json/);
  });

  it('report.json verifies against its .jwk (independent DSSE + Ed25519) and fails when a byte changes', () => {
    const envelope = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const jwks = readdirSync(out).filter((f) => f.endsWith('.jwk'));
    expect(jwks).toHaveLength(1);
    const jwk = JSON.parse(readFileSync(join(out, jwks[0]!), 'utf8'));
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(jwks[0]).toBe(`${jwk.kid}.jwk`);
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(dsseVerify(envelope, jwk)).toBe(true);

    const payload = Buffer.from(envelope.payload, 'base64');
    payload[10]! ^= 1;
    expect(dsseVerify({ ...envelope, payload: payload.toString('base64') }, jwk)).toBe(false);
    expect(dsseVerify({ ...envelope, payloadType: 'application/json' }, jwk)).toBe(false);
  });

  it('signs a statement about this model and this dataset, with 40 logged Poisson steps within the budget', () => {
    const envelope = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe('https://dpledger.dev/privacy-report/v1');
    const weights = createHash('sha256')
      .update(readFileSync(join(out, 'model', 'weights.bin')))
      .digest('hex');
    expect(statement.subject).toContainEqual({ name: 'model', digest: { sha256: weights } });
    // The manifest digest of @dpledger/trainer's loadIdx: sha256sum lines of the files read, then `count <n>`.
    const sha = (f: string) =>
      createHash('sha256')
        .update(readFileSync(join(sample, f)))
        .digest('hex');
    const files = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'];
    const manifest = createHash('sha256')
      .update(`${files.map((f) => `${sha(f)}  ${f}\n`).join('')}count 2000\n`)
      .digest('hex');
    expect(statement.subject).toContainEqual({ name: 'dataset-manifest', digest: { sha256: manifest } });
    const p = statement.predicate;
    expect(p.event_count).toBe(40);
    expect(p.sampler).toEqual({ kind: 'poisson', dataset_size: 2000, expected_batch_size: 64 });
    expect(p.noise_rng).toBe('secure');
    expect(p.epsilon.rdp.epsilon).toBeGreaterThan(0);
    expect(p.epsilon.rdp.epsilon).toBeLessThanOrEqual(3);
    // the one-run audit the accountant computed from the 1000 gradient canaries the trainer submitted
    expect(p.audit).toMatchObject({
      method: 'steinke2023',
      canary_kind: 'gradient',
      canaries: 1000,
      k_minus: 0,
      significance: 0.05,
    });
    expect(p.audit.epsilon_lower).toBeLessThanOrEqual(p.epsilon.rdp.epsilon);
  });

  it('writes a model that loads back as the 10-class tanh CNN', async () => {
    const model = await loadModelFile(join(out, 'model', 'model.json'));
    expect(model.outputs[0]!.shape).toEqual([null, 10]);
    expect(model.countParams()).toBe(26010);
  });

  it('writes a report.html with the epsilon plot and the checks table, and a PDF', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<svg[\s\S]*<\/svg>/);
    expect(html).toMatch(/<table[^>]*>[\s\S]*[Ss]ignature[\s\S]*Merkle[\s\S]*<\/table>/);
    expect(readFileSync(join(out, 'report.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('re-verifies with the printed command, event log included', () => {
    const cmd = /npx dpledger verify (\S+) --key (\S+) --events (\S+)/.exec(stdout);
    expect(cmd).not.toBeNull();
    const res = spawnSync(
      process.execPath,
      [bin, 'verify', cmd![1]!, '--key', cmd![2]!, '--events', cmd![3]!, '--strict'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('VALID');
  });
});
