/**
 * Checkpoint and resume in one directory: `weights.bin/.json` (model.getWeights, float32), `optimizer.bin/.json`
 * (slots), `trainer.json` (step, settings, clip norm, RNG state, sampler state, accountant ledger). Resuming
 * replays the ledger into the new accountant, so epsilon continues from where it was, never from zero.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DpEvent } from '@dpledger/accounting';
import type { SamplerState } from './batch-sampler.js';
import { DPTrainer } from './dp-trainer.js';
import { fail } from './fail.js';
import type { OptimizerState } from './optimizer.js';
import { readTensors, writeTensors } from './tensor-file.js';
import type { DPTrainerOptions } from './trainer-options.js';

export const CHECKPOINT_FORMAT = 'dpledger-checkpoint/1';

/** What trainer.json holds. */
export interface CheckpointFile {
  format: typeof CHECKPOINT_FORMAT;
  stepCount: number;
  settings: Omit<DPTrainerOptions, 'model' | 'accountant' | 'rules' | 'target' | 'loss'> & { loss: DPTrainerOptions['loss'] | null; accountant: string };
  clipNorm: number;
  /** `noiseState`: the seeded noise stream after the last consumed buffer (absent in checkpoints before it had one). */
  rng: { mode: 'secure' | 'seeded'; state: number[] | null; noiseState?: number[] | null };
  sampler: SamplerState | null;
  optimizer: { kind: OptimizerState['kind']; iterations: number; slotCount: number };
  ledger: DpEvent;
  weightsSha256: string;
}

/** Options for resume: the model (same architecture) and anything not serializable (loss function, remote run). */
export type ResumeOptions = Partial<DPTrainerOptions> & { model: tf.LayersModel };

/**
 * Writes the checkpoint; commits any open remote reservation first so the service's ledger matches.
 * @example const { weightsSha256 } = await saveCheckpoint(trainer, './ckpt');
 */
export async function saveCheckpoint(t: DPTrainer, dir: string): Promise<{ weightsSha256: string }> {
  await t.close();
  await mkdir(dir, { recursive: true });
  const weights = t.model.getWeights().map((w, i) => ({ name: `${i}`, shape: w.shape.slice(), values: Float32Array.from(w.dataSync()) }));
  const weightsSha256 = await writeTensors(dir, 'weights', weights);
  const opt = t.internals.optimizer.getState();
  await writeTensors(dir, 'optimizer', opt.slots.flatMap((slot, s) => slot.map((v, w) => ({ name: `${s}/${w}`, shape: v.shape, values: v.values }))));
  const { model: _m, accountant: _a, rules: _r, target: _t, loss, ...rest } = t.options;
  const file: CheckpointFile = {
    format: CHECKPOINT_FORMAT,
    stepCount: t.stepCount,
    settings: { ...rest, loss: typeof loss === 'string' ? loss : null, noiseMultiplier: t.noiseMultiplier, neighboringRelation: t.neighboringRelation, accountant: t.accountantKind },
    clipNorm: t.clipNorm,
    rng: { mode: t.internals.rng.mode, state: t.internals.rng.state(), noiseState: t.internals.noise?.state() ?? null },
    sampler: t.internals.sampler?.state() ?? null,
    optimizer: { kind: opt.kind, iterations: opt.iterations, slotCount: opt.slots.length },
    ledger: t.ledger,
    weightsSha256,
  };
  await writeFile(join(dir, 'trainer.json'), `${JSON.stringify(file, null, 1)}\n`);
  return { weightsSha256 };
}

/**
 * Rebuilds a trainer from a checkpoint: weights, optimizer state, step, RNG and sampler state, accountant ledger.
 * @example const t = await resumeCheckpoint('./ckpt', { model: buildModel('mlp') }); t.epsilon(1e-5) // as saved
 */
export async function resumeCheckpoint(dir: string, options: ResumeOptions): Promise<DPTrainer> {
  let file: CheckpointFile;
  try {
    file = JSON.parse(await readFile(join(dir, 'trainer.json'), 'utf8')) as CheckpointFile;
  } catch (err) {
    return fail('bad_input', `no readable trainer.json in '${dir}'`, err);
  }
  if (file.format !== CHECKPOINT_FORMAT) fail('bad_input', `unknown checkpoint format '${String(file.format)}'`);
  const { accountant: savedAccountant, loss: savedLoss, ...settings } = file.settings;
  const accountant = options.accountant ?? (savedAccountant === 'rdp' || savedAccountant === 'pld' ? savedAccountant : undefined);
  if (accountant === undefined) fail('invalid_argument', `the checkpoint used a '${savedAccountant}' accountant: pass it again as options.accountant`);
  const loss = options.loss ?? savedLoss;
  if (loss === null) fail('invalid_argument', 'the checkpoint used a loss function: pass it again as options.loss');
  const t = new DPTrainer({ ...settings, ...options, loss, accountant } as DPTrainerOptions, file.rng.mode === 'seeded' ? file.rng.state : null, file.rng.mode === 'seeded' ? file.rng.noiseState : null);

  const weights = await readTensors(dir, 'weights');
  const current = t.model.getWeights();
  if (weights.length !== current.length || weights.some((w, i) => w.shape.join() !== current[i]!.shape.join())) {
    fail('bad_input', 'the checkpoint weights do not fit this model');
  }
  t.model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape, 'float32')));
  const slots = await readTensors(dir, 'optimizer');
  const perSlot = t.model.trainableWeights.length;
  const state: OptimizerState = {
    kind: file.optimizer.kind,
    iterations: file.optimizer.iterations,
    slots: Array.from({ length: file.optimizer.slotCount }, (_, s) => slots.slice(s * perSlot, (s + 1) * perSlot).map((e) => ({ shape: e.shape, values: e.values }))),
  };
  t.internals.optimizer.setState(state, t.model.trainableWeights.map((w) => w.read() as tf.Variable));
  t.internals.stepCount = file.stepCount;
  if (t.internals.adaptive) t.internals.adaptive.clipNorm = file.clipNorm;
  if (file.sampler) t.sampler(file.sampler);
  t.replayLedger(file.ledger);
  return t;
}
