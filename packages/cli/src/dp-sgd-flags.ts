/** The DP-SGD flags shared by `dpledger epsilon` and `dpledger calibrate`. */
import { AccountingError, stepsForEpochs, type AccountantKind, type EpochSpec } from '@dpledger/accounting';
import { numberFlag, type Options, type ParsedFlags } from './args.js';
import { CliError } from './cli-error.js';

export const DP_SGD_OPTIONS: Options = {
  'sampling-probability': { type: 'string' },
  'batch-size': { type: 'string' },
  'dataset-size': { type: 'string' },
  steps: { type: 'string' },
  epochs: { type: 'string' },
  delta: { type: 'string' },
  accountant: { type: 'string' },
  json: { type: 'boolean' },
};

export const DP_SGD_HELP = `  --sampling-probability <q>        Poisson sampling probability in (0, 1]
  --batch-size <B> --dataset-size <N>  instead of q: q = B / N (expected batch size over dataset size)
  --steps <T>                       number of DP-SGD steps
  --epochs <E>                      instead of steps: T = round(E x round(1/q)), the steps the trainer runs
  --delta <d>                       target delta in (0, 1) (default 1e-5)
  --accountant rdp|pld|all          which accountant(s) (default all)
  --json                            machine-readable output (table figures are rounded up)`;

export interface DpSgdFlags {
  samplingProbability: number;
  steps: number;
  delta: number;
  accountants: AccountantKind[];
  json: boolean;
}

function str(flags: ParsedFlags, name: string): string | undefined {
  const v = flags.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Reads the shared flags; any inconsistency is a CliError (one line, exit 2). */
export function readDpSgdFlags(flags: ParsedFlags): DpSgdFlags {
  const q0 = numberFlag('sampling-probability', str(flags, 'sampling-probability'), { min: 0, minOpen: true, max: 1 });
  const batch = numberFlag('batch-size', str(flags, 'batch-size'), { min: 1, integer: true });
  const dataset = numberFlag('dataset-size', str(flags, 'dataset-size'), { min: 1, integer: true });
  let q: number;
  let epoch: EpochSpec;
  if (q0 !== undefined) {
    if (batch !== undefined || dataset !== undefined)
      throw new CliError('give either --sampling-probability or --batch-size with --dataset-size, not both');
    q = q0;
    epoch = { sampler: 'poisson', samplingProbability: q };
  } else {
    if (batch === undefined || dataset === undefined)
      throw new CliError('missing --sampling-probability (or --batch-size with --dataset-size)');
    if (batch > dataset) throw new CliError('--batch-size must be <= --dataset-size');
    q = batch / dataset;
    epoch = { sampler: 'poisson', datasetSize: dataset, expectedBatchSize: batch };
  }
  const steps0 = numberFlag('steps', str(flags, 'steps'), { min: 1, integer: true });
  const epochs = numberFlag('epochs', str(flags, 'epochs'), { min: 0, minOpen: true });
  if (steps0 !== undefined && epochs !== undefined) throw new CliError('give either --steps or --epochs, not both');
  if (steps0 === undefined && epochs === undefined) throw new CliError('missing --steps (or --epochs)');
  const steps = steps0 ?? epochSteps(epochs!, epoch);
  const delta = numberFlag('delta', str(flags, 'delta'), { min: 0, minOpen: true, max: 1 }) ?? 1e-5;
  if (delta >= 1) throw new CliError(`--delta must be < 1, got '${delta}'`);
  const which = str(flags, 'accountant') ?? 'all';
  if (which !== 'rdp' && which !== 'pld' && which !== 'all')
    throw new CliError(`--accountant must be rdp, pld or all, got '${which}'`);
  const accountants: AccountantKind[] = which === 'all' ? ['rdp', 'pld'] : [which];
  return { samplingProbability: q, steps, delta, accountants, json: flags.values['json'] === true };
}

/** The trainer's step count for `epochs` epochs (@dpledger/accounting stepsForEpochs), as a usage error if refused. */
function epochSteps(epochs: number, epoch: EpochSpec): number {
  try {
    return stepsForEpochs(epochs, epoch);
  } catch (err) {
    if (err instanceof AccountingError) throw new CliError(`--epochs: ${err.message}`);
    throw err;
  }
}

/** Where a command writes; tests pass their own. */
export interface CommandIo {
  out: (text: string) => void;
}

export const stdoutIo: CommandIo = { out: (t) => process.stdout.write(t) };
