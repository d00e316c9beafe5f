/**
 * Checkpoint and resume in one directory: `weights.bin/.json` (model.getWeights, float32), `optimizer.bin/.json`
 * (slots), `trainer.json` (step, settings, clip norm, randomness mode, sampler state, accountant ledger). Resuming
 * replays the ledger into the new accountant, so epsilon continues from where it was, never from zero; with a
 * remote accountant the run's ledger is first made to match it (missing steps appended; an older checkpoint than
 * the run refused with `ledger_mismatch`).
 *
 * Randomness: a secure run saves nothing of its generator (no state, no buffered words), so a resumed secure run
 * draws fresh randomness and two resumes of one checkpoint never share noise. A seeded run saves only how many words
 * of each of its streams were used, never the seed or the key: resuming it needs the same seed again and continues
 * the same streams (anyone holding both the checkpoint and the seed can recompute the noise: keep the seed secret).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DpEvent } from '@dpledger/accounting';
import type { SamplerState } from './batch-sampler.js';
import { DPTrainer, type SeededPositions } from './dp-trainer.js';
import { fail } from './fail.js';
import type { OptimizerState } from './optimizer.js';
import { readTensors, writeTensors } from './tensor-file.js';
import type { DPTrainerOptions } from './trainer-options.js';

export const CHECKPOINT_FORMAT = 'dpledger-checkpoint/2';
/** The format before seeded runs used ChaCha20: its secure checkpoints still resume, its seeded ones cannot. */
const FORMAT_1 = 'dpledger-checkpoint/1';

/** What trainer.json holds. */
export interface CheckpointFile {
  format: typeof CHECKPOINT_FORMAT;
  stepCount: number;
  settings: Omit<DPTrainerOptions, 'model' | 'accountant' | 'rules' | 'target' | 'loss' | 'seed' | 'secureMode'> & { loss: DPTrainerOptions['loss'] | null; accountant: string };
  clipNorm: number;
  /** Secure: the mode alone. Seeded: the words used of its sampling and noise streams (as of the last consumed buffer). */
  rng: { mode: 'secure' } | ({ mode: 'seeded' } & SeededPositions);
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
  await t.closeNow();
  await mkdir(dir, { recursive: true });
  // asynchronous reads: webgpu in Node has no synchronous one
  const weights = await Promise.all(t.model.getWeights().map(async (w, i) => ({ name: `${i}`, shape: w.shape.slice(), values: Float32Array.from(await w.data()) })));
  const weightsSha256 = await writeTensors(dir, 'weights', weights);
  const opt = await t.internals.optimizer.getState();
  await writeTensors(dir, 'optimizer', opt.slots.flatMap((slot, s) => slot.map((v, w) => ({ name: `${s}/${w}`, shape: v.shape, values: v.values }))));
  const { model: _m, accountant: _a, rules: _r, target: _t, loss, seed: _s, secureMode: _sm, ...rest } = t.options;
  const { rng, noise } = t.internals;
  const file: CheckpointFile = {
    format: CHECKPOINT_FORMAT,
    stepCount: t.stepCount,
    settings: { ...rest, loss: typeof loss === 'string' ? loss : null, noiseMultiplier: t.noiseMultiplier, neighboringRelation: t.neighboringRelation, accountant: t.accountantKind },
    clipNorm: t.clipNorm,
    rng: rng.mode === 'secure' ? { mode: 'secure' } : { mode: 'seeded', position: rng.position()!, noisePosition: noise?.position() ?? null },
    sampler: t.internals.sampler?.state() ?? null,
    optimizer: { kind: opt.kind, iterations: opt.iterations, slotCount: opt.slots.length },
    ledger: t.ledger,
    weightsSha256,
  };
  await writeFile(join(dir, 'trainer.json'), `${JSON.stringify(file, null, 1)}\n`);
  return { weightsSha256 };
}

/**
 * Rebuilds a trainer from a checkpoint: weights, optimizer state, step, sampler state, accountant ledger; a secure
 * run continues with fresh randomness, a seeded one (only with `options.seed`, its seed) where its streams stood.
 * @example const t = await resumeCheckpoint('./ckpt', { model: buildModel('mlp') }); t.epsilon(1e-5) // as saved
 */
export async function resumeCheckpoint(dir: string, options: ResumeOptions): Promise<DPTrainer> {
  let file: CheckpointFile;
  try {
    file = JSON.parse(await readFile(join(dir, 'trainer.json'), 'utf8')) as CheckpointFile;
  } catch (err) {
    return fail('bad_input', `no readable trainer.json in '${dir}'`, err);
  }
  if (file.format !== CHECKPOINT_FORMAT && !(file.format === FORMAT_1 && file.rng?.mode === 'secure')) {
    fail('bad_input', file.format === FORMAT_1 ? 'a seeded checkpoint of format 1 (xoshiro128**) cannot be resumed: its generator was replaced' : `unknown checkpoint format '${String(file.format)}'`);
  }
  // format 1 kept seed and secureMode in its settings: the mode now comes from `rng` and the seed from the caller
  const { accountant: savedAccountant, loss: savedLoss, seed: _s, secureMode: _sm, ...settings } = file.settings as CheckpointFile['settings'] & Pick<DPTrainerOptions, 'seed' | 'secureMode'>;
  let positions: SeededPositions | undefined;
  if (file.rng.mode === 'seeded') {
    if (options.seed === undefined) fail('invalid_argument', 'this checkpoint is of a seeded run: pass the same seed again as options.seed (a checkpoint never holds it)');
    positions = { position: file.rng.position, noisePosition: file.rng.noisePosition };
  } else if (options.seed !== undefined || options.secureMode === false) {
    fail('invalid_argument', 'this checkpoint is of a secure run: it cannot continue as a seeded one');
  }
  const accountant = options.accountant ?? (savedAccountant === 'rdp' || savedAccountant === 'pld' ? savedAccountant : undefined);
  if (accountant === undefined) fail('invalid_argument', `the checkpoint used a '${savedAccountant}' accountant: pass it again as options.accountant`);
  const loss = options.loss ?? savedLoss;
  if (loss === null) fail('invalid_argument', 'the checkpoint used a loss function: pass it again as options.loss');
  const t = new DPTrainer({ ...settings, ...options, loss, accountant } as DPTrainerOptions, positions);

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
  // A remote run must hold the checkpoint's steps before any new one: the missing ones are appended, a fork refused.
  try {
    await t.syncRemoteLedger(file.ledger);
  } catch (err) {
    t.internals.noise?.close();
    throw err;
  }
  return t;
}
