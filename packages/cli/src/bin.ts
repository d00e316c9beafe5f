#!/usr/bin/env node
/** The `dpledger` command. Each subcommand lives in ./commands/<name>.ts and exports `summary` and `run`. */
import { CliError } from './cli-error.js';

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

async function usage(): Promise<string> {
  const lines = ['usage: dpledger <command> [flags]   (dpledger <command> --help for its flags)', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const summary = await load().then((m) => m.summary, () => '(unavailable)');
    lines.push(`  ${name.padEnd(10)} ${summary}`);
  }
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${await usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write('0.1.0\n');
    return 0;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    process.stderr.write(`dpledger: unknown command '${name}' (try dpledger --help)\n`);
    return 2;
  }
  const command = await load();
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`dpledger: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`dpledger: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
