/**
 * `dpledger train --config <file.json>`: DP-SGD training of a built-in or saved tfjs model on IDX data, accounted
 * locally or against an accountant server run, with a progress line on stderr; writes the model and a summary JSON.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createClient } from '@dpledger/client';
import {
  AccountingError,
  deltaTooLarge,
  formatEpsilon,
  stepsForEpochs,
  type DpEvent,
  type EpochSpec,
} from '@dpledger/accounting';
import {
  DPTrainer,
  SEEDED_RUN_CAVEAT,
  TrainerError,
  accuracy,
  buildModel,
  loadIdx,
  loadModelFile,
  modelLayout,
  saveModelFiles,
  toTensors,
  useBackend,
  type BackendName,
  type BuiltinModel,
  type DPTrainerOptions,
  type NoisyLossOptions,
  type OptimizerConfig,
  type StepResult,
} from '@dpledger/trainer';
import { parseFlags } from '../args.js';
import { CliError } from '../cli-error.js';

export const summary = 'DP-SGD training from a JSON config (model, data, privacy, accountant)';

// Parts of the config sketch below, named so that its lines fit.
const TARGET_EXAMPLE = '{ "epsilon": 3, "epochs": 20 }';
const BACKEND_CHOICES = '"auto"|"wasm"|"cpu"|...';

const HELP = `usage: dpledger train --config <file.json> [--quiet]

Progress lines on stderr show epsilon rounded up and the batch loss labelled "(private, not DP)": the loss is
computed from the training data without noise; it stays on this machine and is not in summary.json.

config (paths relative to the config file):
  { "model": "tanh-cnn" | "mlp" | "path/to/model.json",
    "data": { "dir": "/usr/share/datasets/fashion-mnist", "trainLimit"?: n, "testLimit"?: n },
    "privacy": { "clipNorm": 1, "noiseMultiplier": 1.1 | "target": ${TARGET_EXAMPLE}, "delta": 1e-5 (must be < 1/n),
                 "allowLargeDelta"?: true (accept delta >= 1/n; summary.json says so), "expectedBatchSize": 256,
                 "sampler"?: "poisson"|"shuffle", "seed"?: "<32+ hex digits>",
                 "noise"?: "gaussian"|"discrete_gaussian", "maxPhysicalBatchSize"?: n,
                 "noisyLoss"?: { "every": 50, "noiseMultiplier": 5, "clip": 5 } (a noised loss estimate, accounted
                 in the same ledger: it raises epsilon; written to summary.json as noisy_loss) },
    "optimizer": { "kind": "sgd"|"momentum"|"adam", "learningRate": 0.1, ... },
    "training": { "epochs": 1 | "steps": 100, "seed"?: n (built-in model init only), "backend"?: ${BACKEND_CHOICES} },
    "accountant": "rdp" | "pld" | { "url": "http://...", "runId": "...", "apiKey"?: "... (else $DPLEDGER_API_KEY)",
                                    "reserveSteps"?: 100, "closeRun"?: true },
    "output": "out-dir" }
sampling and noise are secure (platform CSPRNG) unless "privacy.seed" makes a seeded, reproducible run (at least 128
bits; its epsilon holds only while the seed stays secret, and every epsilon it prints says so)
writes <output>/model/model.json + weights.bin and <output>/summary.json
exit status: 0 done, 3 stopped early because the remote budget refused a step (model and summary written),
             2 bad usage or config, 1 failure`;

/** The config file. */
export interface TrainConfig {
  model: string;
  data: { dir: string; trainLimit?: number; testLimit?: number };
  privacy: {
    clipNorm: number;
    noiseMultiplier?: number;
    target?: { epsilon: number; epochs?: number };
    delta?: number;
    /** Accept a delta that is not below 1 / training size (refused by default). */
    allowLargeDelta?: boolean;
    expectedBatchSize: number;
    sampler?: 'poisson' | 'shuffle';
    noise?: 'gaussian' | 'discrete_gaussian';
    maxPhysicalBatchSize?: number;
    /**
     * A seeded run (at least 32 hex digits); absent: secure randomness. `secureMode: false` needs it, `true` refuses
     * it.
     */
    seed?: string;
    secureMode?: boolean;
    /** Opt-in: a noised, accounted loss estimate every `every` steps (it adds to epsilon). */
    noisyLoss?: NoisyLossOptions;
  };
  optimizer: OptimizerConfig;
  /** `seed`: initializes a built-in model's weights only (the DP randomness never comes from it). */
  training: { epochs?: number; steps?: number; seed?: number; backend?: BackendName | 'auto' };
  accountant?:
    'rdp' | 'pld' | { url: string; runId: string; apiKey?: string; reserveSteps?: number; closeRun?: boolean };
  output: string;
}

/** Where progress and notices go (stderr by default; tests capture it). */
export interface TrainIo {
  err(text: string): void;
  isTty: boolean;
}

const stderrIo: TrainIo = { err: (t) => process.stderr.write(t), isTty: process.stderr.isTTY === true };

function need(cond: unknown, what: string): asserts cond {
  if (!cond) throw new CliError(`config: ${what}`);
}

async function readConfig(path: string): Promise<TrainConfig> {
  let c: TrainConfig;
  try {
    c = JSON.parse(await readFile(path, 'utf8')) as TrainConfig;
  } catch (err) {
    throw new CliError(`cannot read config '${path}': ${err instanceof Error ? err.message : String(err)}`);
  }
  need(c && typeof c === 'object', 'must be a JSON object');
  need(typeof c.model === 'string', '"model" must be "mlp", "tanh-cnn" or a model.json path');
  need(c.data && typeof c.data.dir === 'string', '"data.dir" is required');
  need(
    c.privacy && typeof c.privacy.clipNorm === 'number' && typeof c.privacy.expectedBatchSize === 'number',
    '"privacy.clipNorm" and "privacy.expectedBatchSize" are required',
  );
  need(
    (c.privacy.noiseMultiplier === undefined) !== (c.privacy.target === undefined),
    'give one of "privacy.noiseMultiplier" or "privacy.target"',
  );
  need(c.optimizer && typeof c.optimizer.kind === 'string', '"optimizer.kind" is required');
  need(
    c.training && (c.training.epochs === undefined) !== (c.training.steps === undefined),
    'give one of "training.epochs" or "training.steps"',
  );
  need(typeof c.output === 'string', '"output" directory is required');
  need(
    c.privacy.seed === undefined || typeof c.privacy.seed === 'string',
    '"privacy.seed" must be a string of at least 32 hex digits',
  );
  return c;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
}

/**
 * The steps training will run (training.steps, or training.epochs by @dpledger/accounting stepsForEpochs); the
 * trainer's target is that step count. A privacy.target.epochs that prices a different count is refused: the noise
 * must be calibrated for exactly the steps that run.
 */
function plannedSteps(c: TrainConfig, datasetSize: number): { total: number } {
  const epoch: EpochSpec = {
    sampler: c.privacy.sampler ?? 'poisson',
    datasetSize,
    expectedBatchSize: c.privacy.expectedBatchSize,
  };
  try {
    const total = c.training.steps ?? stepsForEpochs(c.training.epochs!, epoch);
    const targetEpochs = c.privacy.target?.epochs;
    if (targetEpochs !== undefined && stepsForEpochs(targetEpochs, epoch) !== total) {
      throw new CliError(
        `config: "privacy.target.epochs" ${targetEpochs} is ${stepsForEpochs(targetEpochs, epoch)} steps, ` +
          `but training runs ${total}; drop it or make them agree`,
      );
    }
    return { total };
  } catch (err) {
    if (err instanceof AccountingError) throw new CliError(`config: ${err.message}`);
    throw err;
  }
}

/** Runs the command; resolves to the exit status. */
export async function run(argv: string[], io: TrainIo = stderrIo): Promise<number> {
  const flags = parseFlags(argv, { config: { type: 'string', short: 'c' }, quiet: { type: 'boolean' } });
  if (flags.values['help'] === true) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const configPath = flags.values['config'];
  if (typeof configPath !== 'string') throw new CliError('missing --config <file.json>');
  const quiet = flags.values['quiet'] === true;
  const c = await readConfig(configPath);
  const base = dirname(resolve(configPath));
  const at = (p: string) => resolve(base, p);
  const started = performance.now();

  const backend = await useBackend(c.training.backend ?? 'auto');
  const builtin = c.model === 'mlp' || c.model === 'tanh-cnn';
  const model = builtin
    ? buildModel(c.model as BuiltinModel, { seed: c.training.seed })
    : await loadModelFile(at(c.model));
  const layout = builtin
    ? modelLayout(c.model as BuiltinModel)
    : model.inputs[0]!.shape.length === 2
      ? 'flat'
      : 'image';
  const train = await loadIdx(at(c.data.dir), { split: 'train', limit: c.data.trainLimit });
  const test = await loadIdx(at(c.data.dir), { split: 'test', limit: c.data.testLimit });
  const { xs, ys } = toTensors(train, { layout });
  const testT = toTensors(test, { layout });

  const delta = c.privacy.delta ?? 1e-5;
  const allowLargeDelta = c.privacy.allowLargeDelta === true;
  const tooLarge = deltaTooLarge(delta, train.count);
  if (tooLarge !== null && !allowLargeDelta)
    throw new CliError(`config: ${tooLarge}; set "privacy.allowLargeDelta": true to accept it anyway`);
  if (tooLarge !== null)
    io.err(`dpledger train: WARNING ${tooLarge}; accepted because "privacy.allowLargeDelta" is true\n`);
  const remote = typeof c.accountant === 'object' ? c.accountant : undefined;
  let client: ReturnType<typeof createClient> | undefined;
  if (remote) {
    const apiKey = remote.apiKey ?? process.env['DPLEDGER_API_KEY'];
    need(typeof remote.url === 'string' && typeof remote.runId === 'string', '"accountant" needs "url" and "runId"');
    if (!apiKey) throw new CliError('the remote accountant needs "apiKey" in the config or $DPLEDGER_API_KEY');
    client = createClient({ baseUrl: remote.url, apiKey });
  }
  // the trainer prices every step under the relation of the budget the run is bound to
  const budgetRelation =
    client && remote
      ? (await client.getBudget((await client.getRun(remote.runId)).budget_id)).neighboring_relation
      : undefined;
  const { total } = plannedSteps(c, train.count);
  const options: DPTrainerOptions = {
    model,
    loss: 'categoricalCrossentropy',
    fromLogits: true,
    optimizer: c.optimizer,
    clipNorm: c.privacy.clipNorm,
    expectedBatchSize: c.privacy.expectedBatchSize,
    datasetSize: train.count,
    sampler: c.privacy.sampler,
    secureMode: c.privacy.secureMode,
    seed: c.privacy.seed,
    noise: c.privacy.noise,
    allowLargeDelta,
    maxPhysicalBatchSize: c.privacy.maxPhysicalBatchSize,
    privateLoss: true, // the progress line shows it, labelled private
    ...(c.privacy.target
      ? { target: { epsilon: c.privacy.target.epsilon, delta, steps: total } }
      : { noiseMultiplier: c.privacy.noiseMultiplier }),
    accountant:
      client && remote
        ? { client, runId: remote.runId, reserveSteps: remote.reserveSteps, neighboringRelation: budgetRelation }
        : ((c.accountant as 'rdp' | 'pld' | undefined) ?? 'rdp'),
  };
  let trainer: DPTrainer;
  try {
    trainer = new DPTrainer(options);
  } catch (err) {
    if (err instanceof TrainerError && err.code === 'invalid_argument') throw new CliError(`config: ${err.message}`);
    throw err;
  }
  const caveat = trainer.noiseRng === 'seeded' ? ` (${SEEDED_RUN_CAVEAT})` : ''; // on every epsilon a seeded run prints
  if (client && remote) {
    const declared = (await client.getRun(remote.runId)).noise_rng;
    if (declared !== undefined && declared !== trainer.noiseRng)
      throw new CliError(
        `the run declares noise_rng '${declared}' but this config trains with '${trainer.noiseRng}' randomness`,
      );
  }
  let lastPrint = 0;
  const progress = (r: StepResult, done: number) => {
    const now = performance.now();
    if (quiet || (now - lastPrint < 1000 && done < total)) return;
    lastPrint = now;
    const perStep = (now - started) / 1000 / done;
    // the loss is un-noised: labelled private on the console, never written to a file
    const line =
      `step ${done}/${total}  eps ${formatEpsilon(trainer.epsilon(delta), 3)}${caveat}  ` +
      `loss ${r.private.loss.toFixed(4)} (private, not DP)  ETA ${duration(perStep * (total - done))}`;
    io.err(io.isTty ? `\r${line.padEnd(92)}` : `${line}\n`); // padded: a shorter line overwrites a longer one
  };
  let done = 0;
  const noisyLoss = c.privacy.noisyLoss;
  const history = await trainer.fit(xs, ys, {
    steps: total,
    ...(noisyLoss ? { noisyLoss } : {}),
    callbacks: { onStep: (r) => progress(r, ++done) },
  });
  if (io.isTty && !quiet) io.err('\n');
  if (history.stopped)
    io.err(
      `dpledger train: the accountant refused step ${history.stopped.atStep + 1}: budget exhausted; ` +
        `stopped after ${trainer.stepCount} steps (the model holds the last allowed update)\n`,
    );

  const out = at(c.output);
  await mkdir(out, { recursive: true });
  const saved = await saveModelFiles(model, join(out, 'model'));
  const testAccuracy = await accuracy(model, testT.xs, testT.ys);
  if (client && remote && remote.closeRun !== false) {
    await client.closeRun(remote.runId, {
      model_digest: { sha256: saved.sha256 },
      dataset_digest: { sha256: train.manifest.sha256 },
    });
  }
  const body = {
    model: c.model,
    backend,
    steps: trainer.stepCount,
    planned_steps: total,
    stopped: history.stopped ?? null,
    privacy: {
      epsilon: trainer.epsilon(delta),
      delta,
      accountant: trainer.accountantKind,
      noise_multiplier: trainer.noiseMultiplier,
      sampling_probability: trainer.samplingProbability,
      expected_batch_size: c.privacy.expectedBatchSize,
      clip_norm: trainer.clipNorm,
      sampler: trainer.samplerKind,
      neighboring_relation: trainer.neighboringRelation,
      noise: trainer.noiseKind,
      noise_rng: trainer.noiseRng,
      epsilon_caveat: caveat === '' ? null : SEEDED_RUN_CAVEAT,
      ...(tooLarge !== null ? { allow_large_delta: true, delta_warning: tooLarge } : {}),
    },
    ledger: trainer.ledger as DpEvent,
    test_accuracy: testAccuracy,
    // noised and accounted (in the ledger above): unlike the console loss, these may leave the machine
    ...(noisyLoss ? { noisy_loss: { ...noisyLoss, estimates: history.noisyLoss } } : {}),
    model_digest: { sha256: saved.sha256 },
    dataset: train.manifest,
    wall_seconds: (performance.now() - started) / 1000,
  };
  await writeFile(join(out, 'summary.json'), `${JSON.stringify(body, null, 2)}\n`);
  if (!quiet)
    io.err(
      `dpledger train: ${trainer.stepCount} steps, epsilon ${formatEpsilon(body.privacy.epsilon, 3)}${caveat} ` +
        `at delta ${delta}, test accuracy ${(testAccuracy * 100).toFixed(2)}%, wrote ${join(out, 'summary.json')}\n`,
    );
  return history.stopped ? 3 : 0;
}
