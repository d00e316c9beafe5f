/**
 * `dpledger train --config <file.json>`: DP-SGD training of a built-in or saved tfjs model on IDX data, accounted
 * locally or against an accountant server run, with a progress line on stderr; writes the model and a summary JSON.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createClient } from '@dpledger/client';
import { AccountingError, stepsForEpochs, stepsPerEpoch, type DpEvent, type EpochSpec } from '@dpledger/accounting';
import {
  DPTrainer, accuracy, buildModel, loadIdx, loadModelFile, modelLayout, saveModelFiles, toTensors, useBackend,
  type BackendName, type BuiltinModel, type DPTrainerOptions, type OptimizerConfig, type StepResult,
} from '@dpledger/trainer';
import { parseFlags } from '../args.js';
import { CliError } from '../cli-error.js';

export const summary = 'DP-SGD training from a JSON config (model, data, privacy, accountant)';

const HELP = `usage: dpledger train --config <file.json> [--quiet]

config (paths relative to the config file):
  { "model": "tanh-cnn" | "mlp" | "path/to/model.json",
    "data": { "dir": "/usr/share/datasets/fashion-mnist", "trainLimit"?: n, "testLimit"?: n },
    "privacy": { "clipNorm": 1, "noiseMultiplier": 1.1 | "target": { "epsilon": 3, "epochs": 20 }, "delta": 1e-5,
                 "expectedBatchSize": 256, "sampler"?: "poisson"|"shuffle", "secureMode"?: false,
                 "noise"?: "gaussian"|"discrete_gaussian", "maxPhysicalBatchSize"?: n },
    "optimizer": { "kind": "sgd"|"momentum"|"adam", "learningRate": 0.1, ... },
    "training": { "epochs": 1 | "steps": 100, "seed"?: n, "backend"?: "auto"|"wasm"|"cpu"|... },
    "accountant": "rdp" | "pld" | { "url": "http://...", "runId": "...", "apiKey"?: "... (else $DPLEDGER_API_KEY)",
                                    "reserveSteps"?: 100, "closeRun"?: true },
    "output": "out-dir" }
writes <output>/model/model.json + weights.bin and <output>/summary.json
exit status: 0 done, 3 stopped early because the remote budget refused a step (model and summary written),
             2 bad usage or config, 1 failure`;

/** The config file. */
export interface TrainConfig {
  model: string;
  data: { dir: string; trainLimit?: number; testLimit?: number };
  privacy: {
    clipNorm: number; noiseMultiplier?: number; target?: { epsilon: number; epochs?: number }; delta?: number;
    expectedBatchSize: number; sampler?: 'poisson' | 'shuffle'; secureMode?: boolean; noise?: 'gaussian' | 'discrete_gaussian';
    maxPhysicalBatchSize?: number;
  };
  optimizer: OptimizerConfig;
  training: { epochs?: number; steps?: number; seed?: number; backend?: BackendName | 'auto' };
  accountant?: 'rdp' | 'pld' | { url: string; runId: string; apiKey?: string; reserveSteps?: number; closeRun?: boolean };
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
  need(c.privacy && typeof c.privacy.clipNorm === 'number' && typeof c.privacy.expectedBatchSize === 'number', '"privacy.clipNorm" and "privacy.expectedBatchSize" are required');
  need((c.privacy.noiseMultiplier === undefined) !== (c.privacy.target === undefined), 'give one of "privacy.noiseMultiplier" or "privacy.target"');
  need(c.optimizer && typeof c.optimizer.kind === 'string', '"optimizer.kind" is required');
  need(c.training && (c.training.epochs === undefined) !== (c.training.steps === undefined), 'give one of "training.epochs" or "training.steps"');
  need(typeof c.output === 'string', '"output" directory is required');
  return c;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * The steps training will run (training.steps, or training.epochs by @dpledger/accounting stepsForEpochs) and the
 * epoch length. A privacy.target.epochs that prices a different count is refused: the noise must be calibrated
 * for exactly the steps that run.
 */
function plannedSteps(c: TrainConfig, datasetSize: number): { total: number; perEpoch: number } {
  const epoch: EpochSpec = { sampler: c.privacy.sampler ?? 'poisson', datasetSize, expectedBatchSize: c.privacy.expectedBatchSize };
  try {
    const perEpoch = stepsPerEpoch(epoch);
    const total = c.training.steps ?? stepsForEpochs(c.training.epochs!, epoch);
    const targetEpochs = c.privacy.target?.epochs;
    if (targetEpochs !== undefined && stepsForEpochs(targetEpochs, epoch) !== total) {
      throw new CliError(`config: "privacy.target.epochs" ${targetEpochs} is ${stepsForEpochs(targetEpochs, epoch)} steps, but training runs ${total}; drop it or make them agree`);
    }
    return { total, perEpoch };
  } catch (err) {
    if (err instanceof AccountingError) throw new CliError(`config: ${err.message}`);
    throw err;
  }
}

/**
 * The trainer's target is given in epochs and it calibrates for ceil(epochs x perEpoch) steps; (total - 1/4) /
 * perEpoch lands that product within 1/4 below `total`, so it calibrates for exactly `total` whether it rounds up
 * or to the nearest step.
 */
function targetEpochs(total: number, perEpoch: number): number {
  return (total - 0.25) / perEpoch;
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
  const model = builtin ? buildModel(c.model as BuiltinModel, { seed: c.training.seed }) : await loadModelFile(at(c.model));
  const layout = builtin ? modelLayout(c.model as BuiltinModel) : model.inputs[0]!.shape.length === 2 ? 'flat' : 'image';
  const train = await loadIdx(at(c.data.dir), { split: 'train', limit: c.data.trainLimit });
  const test = await loadIdx(at(c.data.dir), { split: 'test', limit: c.data.testLimit });
  const { xs, ys } = toTensors(train, { layout });
  const testT = toTensors(test, { layout });

  const delta = c.privacy.delta ?? 1e-5;
  const remote = typeof c.accountant === 'object' ? c.accountant : undefined;
  let client: ReturnType<typeof createClient> | undefined;
  if (remote) {
    const apiKey = remote.apiKey ?? process.env['DPLEDGER_API_KEY'];
    need(typeof remote.url === 'string' && typeof remote.runId === 'string', '"accountant" needs "url" and "runId"');
    if (!apiKey) throw new CliError('the remote accountant needs "apiKey" in the config or $DPLEDGER_API_KEY');
    client = createClient({ baseUrl: remote.url, apiKey });
  }
  const { total, perEpoch } = plannedSteps(c, train.count);
  const options: DPTrainerOptions = {
    model, loss: 'categoricalCrossentropy', fromLogits: true, optimizer: c.optimizer, clipNorm: c.privacy.clipNorm,
    expectedBatchSize: c.privacy.expectedBatchSize, datasetSize: train.count, sampler: c.privacy.sampler,
    secureMode: c.privacy.secureMode, noise: c.privacy.noise, maxPhysicalBatchSize: c.privacy.maxPhysicalBatchSize, seed: c.training.seed,
    ...(c.privacy.target ? { target: { epsilon: c.privacy.target.epsilon, delta, epochs: targetEpochs(total, perEpoch) } } : { noiseMultiplier: c.privacy.noiseMultiplier }),
    accountant: client && remote ? { client, runId: remote.runId, reserveSteps: remote.reserveSteps } : ((c.accountant as 'rdp' | 'pld' | undefined) ?? 'rdp'),
  };
  const trainer = new DPTrainer(options);
  let lastPrint = 0;
  const progress = (r: StepResult, done: number) => {
    const now = performance.now();
    if (quiet || (now - lastPrint < 1000 && done < total)) return;
    lastPrint = now;
    const perStep = (now - started) / 1000 / done;
    const line = `step ${done}/${total}  eps ${trainer.epsilon(delta).toFixed(3)}  loss ${r.loss.toFixed(4)}  ETA ${duration(perStep * (total - done))}`;
    io.err(io.isTty ? `\r${line.padEnd(72)}` : `${line}\n`); // padded: a shorter line overwrites a longer one
  };
  let done = 0;
  const history = await trainer.fit(xs, ys, { steps: total, callbacks: { onStep: (r) => progress(r, ++done) } });
  if (io.isTty && !quiet) io.err('\n');
  if (history.stopped) io.err(`dpledger train: the accountant refused step ${history.stopped.atStep + 1}: budget exhausted; stopped after ${trainer.stepCount} steps (the model holds the last allowed update)\n`);

  const out = at(c.output);
  await mkdir(out, { recursive: true });
  const saved = await saveModelFiles(model, join(out, 'model'));
  const testAccuracy = accuracy(model, testT.xs, testT.ys);
  if (client && remote && remote.closeRun !== false) {
    await client.closeRun(remote.runId, { model_digest: { sha256: saved.sha256 }, dataset_digest: { sha256: train.manifest.sha256 } });
  }
  const body = {
    model: c.model, backend, steps: trainer.stepCount, planned_steps: total,
    stopped: history.stopped ?? null,
    privacy: {
      epsilon: trainer.epsilon(delta), delta, accountant: trainer.accountantKind, noise_multiplier: trainer.noiseMultiplier,
      sampling_probability: trainer.samplingProbability, expected_batch_size: c.privacy.expectedBatchSize, clip_norm: trainer.clipNorm,
      sampler: trainer.samplerKind, noise: trainer.noiseKind, noise_rng: trainer.noiseRng,
    },
    ledger: trainer.ledger as DpEvent,
    test_accuracy: testAccuracy,
    final_loss: history.loss.at(-1) ?? null,
    model_digest: { sha256: saved.sha256 },
    dataset: train.manifest,
    wall_seconds: (performance.now() - started) / 1000,
  };
  await writeFile(join(out, 'summary.json'), `${JSON.stringify(body, null, 2)}\n`);
  if (!quiet) io.err(`dpledger train: ${trainer.stepCount} steps, epsilon ${body.privacy.epsilon.toFixed(3)} at delta ${delta}, test accuracy ${(testAccuracy * 100).toFixed(2)}%, wrote ${join(out, 'summary.json')}\n`);
  return history.stopped ? 3 : 0;
}
