/**
 * Checkpoint and resume in one directory: `weights.bin/.json` (model.getWeights, float32), `optimizer.bin/.json`
 * (slots), `trainer.json` (step, settings, clip norm, randomness mode, sampler state, accountant ledger): a
 * `trainer.snapshot()` written as files. Resuming (`DPTrainer.resume`: `readCheckpoint`, a trainer made with
 * `resumeOptions`, then `trainer.restore`) replays the ledger into the new accountant, so epsilon continues from where
 * it was, never from zero; with a remote accountant the run's ledger is first made to match it (missing steps
 * appended; an older checkpoint than the run refused with `ledger_mismatch`). This module never imports the trainer.
 *
 * Randomness: a secure run saves nothing of its generator (no state, no buffered words), so a resumed secure run
 * draws fresh randomness and two resumes of one checkpoint never share noise. A seeded run saves only how many words
 * of each of its streams were used, never the seed or the key: resuming it needs the same seed again and continues
 * the same streams (anyone holding both the checkpoint and the seed can recompute the noise: keep the seed secret).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { DpEvent } from '@dpledger/accounting';
import type { SamplerState } from './batch-sampler.js';
import { fail } from './fail.js';
import type { OptimizerState } from './optimizer.js';
import { readTensors, writeTensors } from './tensor-file.js';
import type { DPTrainerOptions } from './trainer-options.js';
import type { SnapshotRandomness, TrainerSettings, TrainerSnapshot } from './trainer-snapshot.js';

export const CHECKPOINT_FORMAT = 'dpledger-checkpoint/2';
/** The format before seeded runs used ChaCha20: its secure checkpoints still resume, its seeded ones cannot. */
const FORMAT_1 = 'dpledger-checkpoint/1';

/** What trainer.json holds: a TrainerSnapshot without its tensors (those are in weights.bin and optimizer.bin). */
export interface CheckpointFile {
  format: typeof CHECKPOINT_FORMAT;
  stepCount: number;
  settings: TrainerSettings;
  clipNorm: number;
  /**
   * Secure: the mode alone. Seeded: the words used of its sampling and noise streams (as of the last consumed buffer).
   */
  rng: SnapshotRandomness;
  sampler: SamplerState | null;
  optimizer: { kind: OptimizerState['kind']; iterations: number; slotCount: number };
  ledger: DpEvent;
  weightsSha256: string;
}

/** Options for resume: the model (same architecture) and anything not serializable (loss function, remote run). */
export type ResumeOptions = Partial<DPTrainerOptions> & { model: tf.LayersModel };

/**
 * Writes a snapshot (`trainer.snapshot()`) as a checkpoint directory; returns the weights file's sha256.
 * @example const { weightsSha256 } = await writeCheckpoint(await trainer.snapshot(), './ckpt');
 */
export async function writeCheckpoint(snapshot: TrainerSnapshot, dir: string): Promise<{ weightsSha256: string }> {
  const { weights, optimizer, ...rest } = snapshot;
  await mkdir(dir, { recursive: true });
  const weightsSha256 = await writeTensors(
    dir,
    'weights',
    weights.map((w, i) => ({ name: `${i}`, ...w })),
  );
  // named `${slot}/${weight}`, slot-major
  await writeTensors(
    dir,
    'optimizer',
    optimizer.slots.flatMap((slot, s) => slot.map((v, w) => ({ name: `${s}/${w}`, ...v }))),
  );
  const file: CheckpointFile = {
    format: CHECKPOINT_FORMAT,
    stepCount: rest.stepCount,
    settings: rest.settings,
    clipNorm: rest.clipNorm,
    rng: rest.rng,
    sampler: rest.sampler,
    optimizer: { kind: optimizer.kind, iterations: optimizer.iterations, slotCount: optimizer.slots.length },
    ledger: rest.ledger,
    weightsSha256,
  };
  await writeFile(join(dir, 'trainer.json'), `${JSON.stringify(file, null, 1)}\n`);
  return { weightsSha256 };
}

/**
 * Reads a checkpoint directory back into the snapshot it was written from (format 2, or a secure run's format 1).
 * @example const t = new DPTrainer(resumeOptions(s, { model })); await t.restore(s = await readCheckpoint('./ckpt'));
 */
export async function readCheckpoint(dir: string): Promise<TrainerSnapshot> {
  let file: CheckpointFile;
  try {
    file = JSON.parse(await readFile(join(dir, 'trainer.json'), 'utf8')) as CheckpointFile;
  } catch (err) {
    return fail('bad_input', `no readable trainer.json in '${dir}'`, err);
  }
  if (file.format !== CHECKPOINT_FORMAT && !(file.format === FORMAT_1 && file.rng?.mode === 'secure')) {
    fail(
      'bad_input',
      file.format === FORMAT_1
        ? 'a seeded checkpoint of format 1 (xoshiro128**) cannot be resumed: its generator was replaced'
        : `unknown checkpoint format '${String(file.format)}'`,
    );
  }
  // format 1 kept seed and secureMode in its settings (and a null generator state): the mode now comes from `rng`
  // and the seed from the caller
  const {
    seed: _s,
    secureMode: _sm,
    ...settings
  } = file.settings as TrainerSettings & Pick<DPTrainerOptions, 'seed' | 'secureMode'>;
  const { rng: r } = file;
  const rng: SnapshotRandomness =
    r.mode === 'seeded' ? { mode: 'seeded', position: r.position, noisePosition: r.noisePosition } : { mode: 'secure' };
  const weights = (await readTensors(dir, 'weights')).map((w) => ({ shape: w.shape, values: w.values }));
  const entries = await readTensors(dir, 'optimizer');
  const slot = (s: number) =>
    entries.filter((e) => e.name.startsWith(`${s}/`)).map((e) => ({ shape: e.shape, values: e.values }));
  const slots = Array.from({ length: file.optimizer.slotCount }, (_, s) => slot(s));
  return {
    stepCount: file.stepCount,
    settings,
    clipNorm: file.clipNorm,
    rng,
    sampler: file.sampler,
    optimizer: { kind: file.optimizer.kind, iterations: file.optimizer.iterations, slots },
    weights,
    ledger: file.ledger,
  };
}

/**
 * The options of a trainer continuing `snapshot`: its settings, overridden by `options` (the model, and whatever
 * cannot be saved: a loss function, a custom or remote accountant, the seed of a seeded run).
 * @example const t = new DPTrainer(resumeOptions(snapshot, { model, seed })); await t.restore(snapshot);
 */
export function resumeOptions(snapshot: TrainerSnapshot, options: ResumeOptions): DPTrainerOptions {
  const { accountant: savedAccountant, loss: savedLoss, ...settings } = snapshot.settings;
  if (snapshot.rng.mode === 'seeded') {
    if (options.seed === undefined)
      fail(
        'invalid_argument',
        'this checkpoint is of a seeded run: pass the same seed again as options.seed (a checkpoint never holds it)',
      );
  } else if (options.seed !== undefined || options.secureMode === false) {
    fail('invalid_argument', 'this checkpoint is of a secure run: it cannot continue as a seeded one');
  }
  const accountant =
    options.accountant ?? (savedAccountant === 'rdp' || savedAccountant === 'pld' ? savedAccountant : undefined);
  if (accountant === undefined)
    fail(
      'invalid_argument',
      `the checkpoint used a '${savedAccountant}' accountant: pass it again as options.accountant`,
    );
  const loss = options.loss ?? savedLoss;
  if (loss === null) fail('invalid_argument', 'the checkpoint used a loss function: pass it again as options.loss');
  return { ...settings, ...options, loss, accountant } as DPTrainerOptions;
}
