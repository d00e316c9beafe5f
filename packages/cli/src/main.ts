/** The `dpledger` command line: dispatches to ./commands/<name>.ts; every error becomes one line and an exit code. */
import { readFileSync } from 'node:fs';
import { errorLine } from './error-line.js';

/** A subcommand module: `run` returns the process exit code. */
export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  epsilon: () => import('./commands/epsilon.js'),
  calibrate: () => import('./commands/calibrate.js'),
  serve: () => import('./commands/serve.js'),
  migrate: () => import('./commands/migrate.js'),
  train: () => import('./commands/train.js'),
  report: () => import('./commands/report.js'),
  verify: () => import('./commands/verify.js'),
  demo: () => import('./commands/demo.js'),
};

/** Where the dispatcher writes (tests pass their own). */
export interface MainIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: MainIo = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

/** The package's own version (package.json is one directory above both src/ and dist/). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function usage(): Promise<string> {
  const lines = ['usage: dpledger <command> [flags]   (dpledger <command> --help for its flags)', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const summary = await load().then(
      (m) => m.summary,
      () => '(unavailable)',
    );
    lines.push(`  ${name.padEnd(10)} ${summary}`);
  }
  return lines.join('\n');
}

async function dispatch(argv: string[], io: MainIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(`${await usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.out(`${version()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    io.err(`dpledger: unknown command '${name}' (try dpledger --help)\n`);
    return 2;
  }
  const command = await load();
  return command.run(rest);
}

/**
 * Runs `dpledger <argv>`; resolves to the exit code and never rejects: a thrown error is printed as one line.
 * @example process.exitCode = await main(process.argv.slice(2))
 */
export async function main(argv: string[], io: MainIo = processIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    const { line, exitCode } = errorLine(err, process.env['DPLEDGER_DEBUG'] === '1');
    io.err(`${line}\n`);
    return exitCode;
  }
}
