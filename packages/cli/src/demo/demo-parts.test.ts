import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.js';
import { chooseDataset, shippedSampleDir } from './dataset.js';
import { parseDemoOptions } from './options.js';
import { ProgressBar, progressLine } from './progress.js';
import { formatSummary, verifyCommand } from './summary.js';
import type { DemoResult } from './run-demo.js';

describe('demo options', () => {
  it('defaults to 300 steps, epsilon 3, delta 1e-5, ./dpledger-out, in-process accountant, secure noise', () => {
    expect(parseDemoOptions([])).toMatchObject({
      steps: 300,
      epochs: undefined,
      targetEpsilon: 3,
      delta: 1e-5,
      out: './dpledger-out',
      server: undefined,
      trainSize: 20_000,
      batchSize: 512,
    });
    // no seed: secure node:crypto randomness
    expect(parseDemoOptions([])).not.toHaveProperty('seed', expect.anything());
  });

  it('--seed HEX: a seeded run; numeric, short, non-hex seeds and the old --seeded-noise are refused (exit 2)', () => {
    expect(parseDemoOptions(['--seed', '00112233445566778899aabbccddeeff'])).toMatchObject({
      seed: '00112233445566778899aabbccddeeff',
    });
    for (const argv of [
      ['--seed', '42'],
      ['--seed', '00112233'],
      ['--seed', 'x0112233445566778899aabbccddeeff'],
      ['--seeded-noise'],
    ]) {
      expect(() => parseDemoOptions(argv), argv.join(' ')).toThrow(expect.objectContaining({ exitCode: 2 }));
    }
  });

  it('takes --epochs instead of --steps, never both', () => {
    expect(parseDemoOptions(['--epochs', '2'])).toMatchObject({ steps: undefined, epochs: 2 });
    expect(() => parseDemoOptions(['--epochs', '2', '--steps', '5'])).toThrow(CliError);
  });

  it('refuses bad values with exit code 2', () => {
    for (const argv of [
      ['--steps', '0'],
      ['--steps', '1.5'],
      ['--target-epsilon', '-1'],
      ['--bogus'],
      ['--delta', 'x'],
      ['--api-key', 'k'],
    ]) {
      let err: unknown;
      try {
        parseDemoOptions(argv);
      } catch (e) {
        err = e;
      }
      expect(err, argv.join(' ')).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(2);
    }
  });

  it('needs a way to get an API key with --server', () => {
    expect(() => parseDemoOptions(['--server', 'http://x'], {})).toThrow(/admin-token/);
    expect(parseDemoOptions(['--server', 'http://x'], { DPLEDGER_ADMIN_TOKEN: 't'.repeat(20) })).toMatchObject({
      server: 'http://x',
      adminToken: 't'.repeat(20),
    });
  });
});

describe('demo dataset choice', () => {
  it('prefers --data, then the Debian directory, then the shipped sample', () => {
    const sample = shippedSampleDir();
    expect(chooseDataset(sample).source).toBe('flag');
    expect(chooseDataset(undefined, sample)).toMatchObject({ source: 'debian', dir: sample });
    const empty = mkdtempSync(join(tmpdir(), 'no-mnist-'));
    const fallback = chooseDataset(undefined, empty);
    expect(fallback).toMatchObject({ source: 'sample', dir: sample });
    expect(fallback.label).toContain('sample');
  });

  it('refuses a --data directory without the four IDX files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'half-mnist-'));
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), '');
    expect(() => chooseDataset(dir)).toThrow(/no Fashion-MNIST IDX files/);
  });
});

describe('demo progress', () => {
  it('shows step, epsilon spent / budget, loss and ETA', () => {
    expect(
      progressLine({
        step: 30,
        totalSteps: 300,
        epsilonSpent: 0.9,
        epsilonBudget: 3,
        privateLoss: 1.2,
        elapsedMs: 6000,
      }),
    ).toBe('step  30/300 [##··················]  eps 0.900 / 3  loss 1.200 (private, not DP)  ETA 0:54');
    expect(
      progressLine({
        step: 30,
        totalSteps: 300,
        epsilonSpent: 2.99981,
        epsilonBudget: 3,
        privateLoss: 1.2,
        elapsedMs: 6000,
      }),
    ).toContain('eps 3.000 / 3');
    expect(
      progressLine({
        step: 30,
        totalSteps: 300,
        epsilonSpent: 0.7951,
        epsilonBudget: 3,
        privateLoss: 1.2,
        elapsedMs: 6000,
      }),
    ).toContain('eps 0.796 / 3');
    expect(
      progressLine({
        step: 0,
        totalSteps: 10,
        epsilonSpent: 0,
        epsilonBudget: 3,
        privateLoss: Number.NaN,
        elapsedMs: 0,
      }),
    ).toContain('loss - (private, not DP)  ETA --:--');
    expect(
      progressLine({
        step: 30,
        totalSteps: 300,
        epsilonSpent: 0.9,
        epsilonBudget: 3,
        privateLoss: 1.2,
        elapsedMs: 6000,
        epsilonNote: 'seeded run: holds only while the seed stays secret',
      }),
    ).toContain('eps 0.900 / 3 (seeded run: holds only while the seed stays secret)  loss 1.200');
  });

  it('prints about ten lines to a pipe and redraws one line on a TTY', () => {
    const lines: string[] = [];
    const pipe = { write: (s: string) => lines.push(s), isTTY: false } as unknown as NodeJS.WritableStream;
    const bar = new ProgressBar(pipe);
    for (let s = 1; s <= 95; s++)
      bar.update({ step: s, totalSteps: 95, epsilonSpent: s / 100, epsilonBudget: 3, privateLoss: 1, elapsedMs: s });
    expect(lines.length).toBeGreaterThanOrEqual(9);
    expect(lines.length).toBeLessThanOrEqual(11);
    expect(lines.at(-1)).toMatch(/^step 95\/95 /);
    const drawn: string[] = [];
    const tty = new ProgressBar({
      write: (s: string) => drawn.push(s),
      isTTY: true,
    } as unknown as NodeJS.WritableStream);
    tty.update({ step: 1, totalSteps: 2, epsilonSpent: 0, epsilonBudget: 3, privateLoss: 1, elapsedMs: 1 });
    tty.done();
    expect(drawn[0]).toMatch(/^\r/);
    expect(drawn.at(-1)).toBe('\n');
  });
});

describe('demo summary', () => {
  const result: DemoResult = {
    dataset: 'Fashion-MNIST',
    accountant: 'x',
    backend: 'wasm',
    trainSize: 2000,
    testSize: 500,
    steps: 40,
    stepsTaken: 40,
    stoppedByBudget: false,
    noiseMultiplier: 0.9,
    samplingProbability: 0.032,
    noiseRng: 'secure',
    epsilonCaveat: null,
    testAccuracy: 0.6875,
    budget: { id: 'b', epsilon: 3, delta: 1e-5 },
    runId: 'r',
    epsilonRdp: 2.99943,
    rdpOrder: 4.9,
    epsilonPld: 2.3912,
    keyid: 'KID',
    audit: { epsilonLower: 0.12399, canaries: 1000, correct: 30, guesses: 50, passed: true },
    files: {
      reportJson: '/w/out/report.json',
      jwk: '/w/out/KID.jwk',
      events: '/w/out/events.json',
      html: '/w/out/report.html',
      pdf: '/w/out/report.pdf',
      model: '/w/out/model',
    },
    wallSeconds: 14,
  };

  it('names accuracy, epsilon by RDP and PLD, and the one command that re-verifies', () => {
    const text = formatSummary(result, '/w');
    expect(text).toContain('test accuracy   68.8% on 500 test images');
    expect(text).toContain('epsilon (RDP)   2.9995 at order 4.9, delta 1e-5'); // 2.99943 rounded up, never to nearest
    expect(text).toContain('epsilon (PLD)   2.3912\n');
    expect(text).not.toContain('seed');
    expect(text).toContain(
      'audit           epsilon_lower 0.123 from 30 of 50 right guesses on 1000 gradient canaries: PASS',
    ); // 0.12399 rounded down: a lower bound is never shown above what was measured
    expect(formatSummary({ ...result, audit: null }, '/w')).toContain('audit           none (--canaries 0)');
    expect(verifyCommand(result, '/w')).toBe(
      'npx dpledger verify out/report.json --key out/KID.jwk --events out/events.json',
    );
    expect(verifyCommand(result, '/elsewhere')).toBe(
      'npx dpledger verify /w/out/report.json --key /w/out/KID.jwk --events /w/out/events.json',
    );
  });

  it('a seeded run says on every epsilon that it holds only while the seed stays secret', () => {
    const text = formatSummary(
      { ...result, noiseRng: 'seeded', epsilonCaveat: 'seeded run: holds only while the seed stays secret' },
      '/w',
    );
    expect(text).toContain(
      'epsilon (RDP)   2.9995 at order 4.9, delta 1e-5 (seeded run: holds only while the seed stays secret)',
    );
    expect(text).toContain('epsilon (PLD)   2.3912 (seeded run: holds only while the seed stays secret)');
  });
});
