/**
 * Test support: `dpledger serve` and other commands as child processes, run from the TypeScript sources (through
 * test/support/dpledger-from-source.mjs, with vitest's "source" resolution), so they run the code the unit tests run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
export const BIN = `${REPO}test/support/dpledger-from-source.mjs`;

export interface ChildServer {
  url: string;
  adminTokenPath: string | undefined;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** What the server wrote to stderr so far (its JSON logs). */
  stderr(): string;
}

/** Starts `dpledger serve --port 0` on `dataDir` and waits for its URL line. */
export async function startChildServer(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<ChildServer> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing`);
  const base = { ...process.env };
  delete base['DPLEDGER_ADMIN_TOKEN'];
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], {
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | string>((ok) => child.once('exit', (code, signal) => ok(code ?? signal ?? -1)));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not start: ${err}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)\n[\s\S]*admin token: .*\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    void exited.then((code) => fail(new Error(`serve exited (${code}): ${err}`)));
  });
  const path = /admin token: (\/\S+)/.exec(out)?.[1];
  return { url, adminTokenPath: path, child, exited, stderr: () => err };
}

/** Runs the CLI (from source) to completion. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => ok({ code: code ?? -1, stdout, stderr }));
  });
}
