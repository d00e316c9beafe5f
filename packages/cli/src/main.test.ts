import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccountingError } from '@dpledger/accounting';
import { ServiceError, StartupError } from '@dpledger/accountant';
import { AuditError } from '@dpledger/audit';
import { BudgetExhaustedError, DpledgerApiError } from '@dpledger/client';
import { TrainerError } from '@dpledger/trainer';
import { CliError } from './cli-error.js';
import { errorLine } from './error-line.js';
import { main } from './main.js';

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** One line on stderr, no stack frame. */
function expectOneLine(text: string): void {
  expect(text.endsWith('\n')).toBe(true);
  expect(text.trimEnd()).not.toContain('\n');
  expect(text).not.toMatch(/\bat .+:\d+:\d+/);
}

describe('dpledger (the dispatcher)', () => {
  it('--help lists every command and exits 0; no command prints the same usage and exits 2', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.err).toBe('');
    for (const name of ['epsilon', 'calibrate', 'serve', 'train', 'report', 'verify', 'demo']) {
      expect(help.out).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
    expect(help.out).not.toContain('(unavailable)');
    const none = await cli([]);
    expect(none).toEqual({ code: 2, out: help.out, err: '' });
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await cli(['--version'])).toEqual({ code: 0, out: `${pkg.version}\n`, err: '' });
  });

  it('an unknown command is one line on stderr and exit 2', async () => {
    const r = await cli(['frobnicate']);
    expect(r).toEqual({ code: 2, out: '', err: "dpledger: unknown command 'frobnicate' (try dpledger --help)\n" });
  });

  it('a service that cannot start is one line and exit 2: a bad setting, not a stack trace', async () => {
    const before = process.env['DPLEDGER_KEY_ENCRYPTION_KEY'];
    process.env['DPLEDGER_KEY_ENCRYPTION_KEY'] = 'too-short';
    try {
      const r = await cli(['serve', '--port', '0', '--data-dir', join(tmpdir(), 'dpledger-never-created')]);
      expect(r.code).toBe(2);
      expectOneLine(r.err);
      expect(r.err).toMatch(/^dpledger: accountant: invalid_config: DPLEDGER_KEY_ENCRYPTION_KEY must be 32 bytes/);
    } finally {
      if (before === undefined) delete process.env['DPLEDGER_KEY_ENCRYPTION_KEY'];
      else process.env['DPLEDGER_KEY_ENCRYPTION_KEY'] = before;
    }
  });

  it("a command's usage error is one line and its exit code, not a stack trace", async () => {
    const r = await cli(['epsilon', '--noise-multiplier', '1', '--steps', '10']);
    expect(r.code).toBe(2);
    expectOneLine(r.err);
    expect(r.err).toMatch(/^dpledger: missing --sampling-probability/);
  });
});

describe('errorLine (the one error mapper)', () => {
  it('gives every error class of the packages one line and an exit code', () => {
    const cases: [unknown, string, number][] = [
      [new CliError('missing --config <file.json>'), 'dpledger: missing --config <file.json>', 2],
      [new CliError('not valid', 1), 'dpledger: not valid', 1],
      [
        new TrainerError('invalid_argument', 'clipNorm must be > 0'),
        'dpledger: trainer: invalid_argument: clipNorm must be > 0',
        2,
      ],
      [
        new TrainerError('backend_unavailable', "backend 'webgpu'\nis not available"),
        "dpledger: trainer: backend_unavailable: backend 'webgpu' is not available",
        1,
      ],
      [
        new DpledgerApiError(404, 'not_found', '404 not_found: no such run'),
        'dpledger: accountant: 404 not_found: no such run',
        1,
      ],
      [
        new BudgetExhaustedError(409, 'budget_exhausted', '409 budget_exhausted: over'),
        'dpledger: accountant: 409 budget_exhausted: over',
        3,
      ],
      [
        new AuditError('bad_signature', 'no key verifies the envelope'),
        'dpledger: report: bad_signature: no key verifies the envelope',
        1,
      ],
      [
        new AccountingError('invalid_event', 'count must be <= 1000000000000'),
        'dpledger: accounting: invalid_event: count must be <= 1000000000000',
        2,
      ],
      [
        new StartupError('invalid_config', 'DPLEDGER_SQLITE_SYNCHRONOUS must be full or normal'),
        'dpledger: accountant: invalid_config: DPLEDGER_SQLITE_SYNCHRONOUS must be full or normal',
        2,
      ],
      [
        new StartupError('schema_mismatch', 'schema version 9 is newer'),
        'dpledger: accountant: schema_mismatch: schema version 9 is newer',
        1,
      ],
      [
        new ServiceError('internal', 'budget of run r1 is missing'),
        'dpledger: accountant: internal: budget of run r1 is missing',
        1,
      ],
      [new TypeError('x is not a function'), 'dpledger: TypeError: x is not a function', 1],
      ['a string', 'dpledger: a string', 1],
    ];
    for (const [err, line, exitCode] of cases) expect(errorLine(err)).toEqual({ line, exitCode });
  });

  it("shows an unexpected error's stack only when asked (DPLEDGER_DEBUG=1)", () => {
    const err = new RangeError('boom');
    expect(errorLine(err).line).not.toContain('\n');
    expect(errorLine(err, true).line).toContain(err.stack!);
  });
});
