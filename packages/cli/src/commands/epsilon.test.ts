import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.js';
import { run as calibrate } from './calibrate.js';
import { run as epsilon } from './epsilon.js';

async function capture(fn: (argv: string[], io: { out: (t: string) => void }) => Promise<number>, argv: string[]) {
  let out = '';
  const code = await fn(argv, { out: (t) => void (out += t) });
  return { code, out };
}

async function usageError(fn: (argv: string[]) => Promise<number>, argv: string[]): Promise<CliError> {
  const err = await fn(argv).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CliError);
  expect((err as CliError).message).not.toContain('\n');
  return err as CliError;
}

describe('dpledger epsilon', () => {
  it('prints RDP ~1.7118 and PLD ~1.5154 for the README example', async () => {
    // the figures' independent provenance (mpmath quadrature, an FFT bracket):
    // packages/accounting/src/fixtures/readme-example.json
    const { code, out } = await capture(epsilon, [
      '--sampling-probability',
      '0.01',
      '--noise-multiplier',
      '1.1',
      '--steps',
      '1000',
      '--delta',
      '1e-5',
      '--accountant',
      'all',
    ]);
    expect(code).toBe(0);
    expect(out).toMatch(/^rdp\s+1\.7118\s+optimal order 9\.6$/m);
    expect(out).toMatch(/^pld\s+1\.5154\s/m);
    expect(out).toMatch(/^epsilon 1\.5154 \(pld: the smaller of the valid bounds\)$/m);
  });

  it('--json names the tightest bound; at epsilon ~200 that is PLD again (issue 8.13)', async () => {
    const { out } = await capture(epsilon, [
      '--sampling-probability',
      '0.5',
      '--noise-multiplier',
      '0.5',
      '--steps',
      '100',
      '--json',
    ]);
    const body = JSON.parse(out);
    const [rdp, pld] = body.results.map((r: { epsilon: number }) => r.epsilon);
    expect(rdp).toBeGreaterThan(140); // 146.7 by RDP
    expect(pld).toBeLessThan(rdp); // 137.2 by PLD; the wrapped grid gave 214.0
    expect(body.tightest).toEqual({ accountant: 'pld', epsilon: pld });
    const one = JSON.parse(
      (
        await capture(epsilon, [
          '--sampling-probability',
          '0.01',
          '--noise-multiplier',
          '1.1',
          '--steps',
          '10',
          '--accountant',
          'rdp',
          '--json',
        ])
      ).out,
    );
    expect(one.tightest).toEqual({ accountant: 'rdp', epsilon: one.results[0].epsilon });
  });

  it('--json with --batch-size/--dataset-size and --epochs', async () => {
    const { out } = await capture(epsilon, [
      '--batch-size',
      '256',
      '--dataset-size',
      '60000',
      '--noise-multiplier',
      '1.1',
      '--epochs',
      '1',
      '--accountant',
      'rdp',
      '--json',
    ]);
    const body = JSON.parse(out);
    expect(body.sampling_probability).toBeCloseTo(256 / 60000, 15);
    expect(body.steps).toBe(234); // round(60000 / 256): the steps the trainer runs in one epoch (stepsPerEpoch)
    expect(body.results).toHaveLength(1);
    expect(body.results[0].accountant).toBe('rdp');
    // 234 steps give 0.74023 (Opacus 1.5.4 RDP, shared reference published_figures tf_privacy_mnist_tutorial epoch 1)
    expect(body.results[0].epsilon).toBeCloseTo(0.7402343196212355, 5);
    const byQ = JSON.parse(
      (
        await capture(epsilon, [
          '--sampling-probability',
          String(256 / 60000),
          '--noise-multiplier',
          '1.1',
          '--epochs',
          '1',
          '--accountant',
          'rdp',
          '--json',
        ])
      ).out,
    );
    expect(byQ.steps).toBe(234);
  });

  it.each([
    [['--bogus']],
    [['--sampling-probability', '0.01', '--steps', '10']],
    [['--sampling-probability', '1.5', '--noise-multiplier', '1', '--steps', '10']],
    [['--sampling-probability', '0.01', '--noise-multiplier', 'x', '--steps', '10']],
    [['--sampling-probability', '0.01', '--noise-multiplier', '1', '--steps', '10', '--epochs', '1']],
    [['--sampling-probability', '0.01', '--noise-multiplier', '1', '--steps', '10', '--accountant', 'moments']],
    [['--noise-multiplier', '1', '--steps', '10', '--batch-size', '10']],
  ])('bad flags %j -> one-line error, exit code 2', async (argv) => {
    expect((await usageError(epsilon, argv)).exitCode).toBe(2);
  });
});

describe('dpledger calibrate', () => {
  it('finds a noise multiplier within tolerance of the target, never above', async () => {
    const { code, out } = await capture(calibrate, [
      '--target-epsilon',
      '1',
      '--sampling-probability',
      '0.01',
      '--steps',
      '1000',
      '--accountant',
      'rdp',
      '--json',
    ]);
    expect(code).toBe(0);
    const r = JSON.parse(out).results[0];
    expect(r.epsilon).toBeLessThanOrEqual(1);
    expect(r.epsilon).toBeGreaterThanOrEqual(0.99);
    const check = await capture(epsilon, [
      '--sampling-probability',
      '0.01',
      '--noise-multiplier',
      String(r.noise_multiplier),
      '--steps',
      '1000',
      '--accountant',
      'rdp',
      '--json',
    ]);
    expect(JSON.parse(check.out).results[0].epsilon).toBe(r.epsilon);
  });

  it('prints a table', async () => {
    const { out } = await capture(calibrate, [
      '--target-epsilon',
      '2',
      '--sampling-probability',
      '0.01',
      '--steps',
      '100',
      '--accountant',
      'rdp',
    ]);
    expect(out).toMatch(/^accountant\s+noise multiplier\s+epsilon$/m);
    expect(out).toMatch(/^rdp\s+\d+\.\d+\s+(2|1\.99\d*)$/m);
  });

  it('missing --target-epsilon -> exit code 2', async () => {
    expect((await usageError(calibrate, ['--sampling-probability', '0.01', '--steps', '100'])).exitCode).toBe(2);
  });
});
