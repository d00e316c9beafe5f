/** `dpledger demo` flags and their defaults. */
import { parseSeed } from '@dpledger/trainer';
import { CliError } from '../cli-error.js';
import { numberFlag, parseFlags, type Options } from '../args.js';

/** Everything the demo needs to know, defaults applied. */
export interface DemoOptions {
  /** Training length: exactly one of these is set after parsing. */
  steps?: number;
  epochs?: number;
  targetEpsilon: number;
  delta: number;
  out: string;
  /** A running accountant; when absent one is started in-process on `<out>/.dpledger`. */
  server?: string;
  /** Admin token of `server` (or DPLEDGER_ADMIN_TOKEN), used to create the demo tenant's API key. */
  adminToken?: string;
  /** An existing API key of `server` instead of creating one. */
  apiKey?: string;
  /** A Fashion-MNIST IDX directory; default: the Debian dataset if installed, else the shipped sample. */
  data?: string;
  trainSize: number;
  testSize: number;
  batchSize: number;
  learningRate: number;
  clipNorm: number;
  /** A seeded, reproducible run (at least 32 hex digits); absent (the default): secure randomness from node:crypto. */
  seed?: string;
  /** Gradient canaries of the one-run audit (0: no audit). */
  canaries: number;
  json: boolean;
}

export const DEMO_FLAGS: Options = {
  steps: { type: 'string' },
  epochs: { type: 'string' },
  'target-epsilon': { type: 'string' },
  delta: { type: 'string' },
  out: { type: 'string' },
  server: { type: 'string' },
  'admin-token': { type: 'string' },
  'api-key': { type: 'string' },
  data: { type: 'string' },
  'train-size': { type: 'string' },
  'test-size': { type: 'string' },
  'batch-size': { type: 'string' },
  'learning-rate': { type: 'string' },
  'clip-norm': { type: 'string' },
  seed: { type: 'string' },
  canaries: { type: 'string' },
  json: { type: 'boolean' },
};

export const DEMO_USAGE =
  'usage: dpledger demo [--epochs N | --steps N] [--target-epsilon 3] ' +
  `[--out ./dpledger-out] [--server URL]

Trains the tanh CNN (Papernot et al. 2020) on Fashion-MNIST with DP-SGD, every step reserved and committed at an
accountant (in-process on <out>/.dpledger unless --server), then fetches, verifies and writes the signed report.

  --steps N             DP-SGD steps (default 300)
  --epochs N            or: passes over the training subset (steps = epochs * round(train-size / batch-size))
  --target-epsilon E    budget and calibration target at --delta (default 3)
  --delta D             default 1e-5 (must be < 1 / train-size)
  --out DIR             where report.json, <kid>.jwk, report.html, report.pdf and model/ go (default ./dpledger-out)
  --server URL          use a running accountant; with --admin-token (or DPLEDGER_ADMIN_TOKEN) or --api-key
  --data DIR            Fashion-MNIST IDX directory (default /usr/share/datasets/fashion-mnist if present, else the
                        sample shipped in @dpledger/trainer)
  --train-size N        training images used (default 20000, capped by the data)
  --test-size N         test images for the accuracy (default 2000)
  --batch-size N        expected Poisson batch size (default 512)
  --learning-rate R     momentum SGD learning rate (default 2)
  --clip-norm C         per-example clipping norm (default 0.1)
  --seed HEX            a seeded, reproducible run (>= 32 hex digits) instead of node:crypto randomness; its
                        epsilon holds only while the seed stays secret, and every epsilon printed says so
  --canaries N          gradient canaries of the one-run privacy audit in the report (default 1000; 0: no audit)
  --json                print the summary as JSON on stdout`;

/**
 * Parses the demo's argv; bad flags are a CliError (exit 2).
 * @example parseDemoOptions(['--steps', '40', '--out', '/tmp/x']).steps // 40
 */
export function parseDemoOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): DemoOptions | 'help' {
  const { values: v } = parseFlags(argv, DEMO_FLAGS);
  if (v['help'] === true) return 'help';
  const str = (k: string): string | undefined => v[k] as string | undefined;
  const steps = numberFlag('steps', str('steps'), { min: 1, max: 1e6, integer: true });
  const epochs = numberFlag('epochs', str('epochs'), { min: 0, minOpen: true, max: 1000 });
  if (steps !== undefined && epochs !== undefined) throw new CliError('give --steps or --epochs, not both');
  if (str('server') === undefined && (str('admin-token') !== undefined || str('api-key') !== undefined)) {
    throw new CliError('--admin-token and --api-key need --server');
  }
  const opts: DemoOptions = {
    steps: steps ?? (epochs === undefined ? 300 : undefined),
    epochs,
    targetEpsilon: numberFlag('target-epsilon', str('target-epsilon'), { min: 0, minOpen: true, max: 100 }) ?? 3,
    delta: numberFlag('delta', str('delta'), { min: 0, minOpen: true, max: 0.1 }) ?? 1e-5,
    out: str('out') ?? './dpledger-out',
    server: str('server'),
    adminToken: str('admin-token') ?? (str('server') !== undefined ? env['DPLEDGER_ADMIN_TOKEN'] : undefined),
    apiKey: str('api-key'),
    data: str('data'),
    trainSize: numberFlag('train-size', str('train-size'), { min: 1, integer: true }) ?? 20_000,
    testSize: numberFlag('test-size', str('test-size'), { min: 1, integer: true }) ?? 2_000,
    batchSize: numberFlag('batch-size', str('batch-size'), { min: 1, integer: true }) ?? 512,
    learningRate: numberFlag('learning-rate', str('learning-rate'), { min: 0, minOpen: true }) ?? 2,
    clipNorm: numberFlag('clip-norm', str('clip-norm'), { min: 0, minOpen: true }) ?? 0.1,
    seed: str('seed'),
    canaries: numberFlag('canaries', str('canaries'), { min: 0, max: 100_000, integer: true }) ?? 1000,
    json: v['json'] === true,
  };
  if (opts.seed !== undefined) {
    try {
      parseSeed(opts.seed);
    } catch (err) {
      throw new CliError(`--seed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (opts.server !== undefined && opts.adminToken === undefined && opts.apiKey === undefined) {
    throw new CliError('--server needs --admin-token (or DPLEDGER_ADMIN_TOKEN) or --api-key');
  }
  return opts;
}
