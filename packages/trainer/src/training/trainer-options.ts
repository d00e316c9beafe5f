/** DPTrainer options as a user writes them, checked and resolved into one settled configuration. */
import type * as tf from '@tensorflow/tfjs';
import { deltaTooLarge, type NeighboringRelation, type PrivacyAccountant } from '@dpledger/accounting';
import type { AdaptiveClippingOptions } from './adaptive-clipping.js';
import type { AuditOptions } from './canaries.js';
import type { SamplerKind } from './batch-sampler.js';
import { fail } from './fail.js';
import type { AccountantKind } from './local-accountant.js';
import type { OptimizerConfig } from './optimizer.js';
import type { Clipping, LayerRuleRegistry, LossSpec } from '../per-sample/index.js';
import type { RemoteAccountant } from './step-ledger.js';
import { parseSeed, type Seed } from './seed.js';
import type { ThreadsOption } from '../parallel/thread-count.js';

export interface DPTrainerOptions {
  model: tf.LayersModel;
  loss: LossSpec;
  fromLogits?: boolean;
  optimizer: OptimizerConfig;
  /** One of clipNorm (flat), clipping (flat or per layer) or adaptiveClipping (flat, Andrew et al. 2021). */
  clipNorm?: number;
  clipping?: Clipping;
  adaptiveClipping?: AdaptiveClippingOptions;
  /**
   * One of noiseMultiplier or target (calibrated with @dpledger/accounting). The target names exactly one of
   * `epochs` (counted as fit({ epochs }) counts them) or `steps`; calibration is for exactly that many steps.
   */
  noiseMultiplier?: number;
  target?: { epsilon: number; delta: number; epochs?: number; steps?: number };
  /**
   * Accept a delta (target.delta, or one asked of epsilon()) that is not below 1 / datasetSize. Such a delta
   * protects nobody (a mechanism publishing each record with probability delta meets it): default false, refused.
   */
  allowLargeDelta?: boolean;
  expectedBatchSize: number;
  datasetSize: number;
  /** 'poisson' (default) or 'shuffle' (accounted without amplification, under replace_one only). */
  sampler?: SamplerKind;
  /**
   * The neighbouring relation every step is priced under: default 'replace_one' with the shuffle sampler,
   * 'add_or_remove_one' otherwise. A custom accountant or a remote run's `neighboringRelation` must agree with it.
   */
  neighboringRelation?: NeighboringRelation;
  /**
   * Randomness is secure by default: every bit of sampling and noise from the platform CSPRNG. `secureMode: true`
   * only restates the default (it refuses a seed); `secureMode: false` is refused unless a `seed` is given.
   */
  secureMode?: boolean;
  noise?: 'gaussian' | 'discrete_gaussian';
  /** 'rdp' (default), 'pld', an accountant instance, or a remote run on the accountant service. */
  accountant?: AccountantKind | PrivacyAccountant | RemoteAccountant;
  /** Largest physical chunk of a logical batch (virtual steps); default: the whole batch at once. */
  maxPhysicalBatchSize?: number;
  /**
   * Compute each step's un-noised mean loss (`StepResult.private.loss`, `FitHistory.private.loss`; private, never
   * released): one small device-to-host read per step. Default false: a step with Gaussian noise and a fixed clip
   * norm then reads nothing back from the device, and the private loss is NaN.
   */
  privateLoss?: boolean;
  /**
   * Threads for each step's per-example work (gradients, clipping, clipped sums): 'auto' (default) uses one per core
   * on the wasm and cpu backends under Node when each thread gets at least 96 expected examples and 128 examples x
   * weight reuse (parallel/thread-count.ts), else 1; never on a GPU backend or in a browser. A number asks for
   * exactly that many (the main thread and threads - 1 workers, each with its own tfjs instance).
   * The batch is cut into near-equal chunks, as few as maxPhysicalBatchSize allows, their count a multiple of the
   * threads (parallel/chunk-plan.ts); their sums are added in order, so a run gives the same bits as one thread
   * computing those chunks. Needs a named loss and the default layer rules.
   */
  threads?: ThreadsOption;
  /** Per-layer rule registry handed to per-sample clipping. */
  rules?: LayerRuleRegistry;
  /**
   * Makes a seeded, reproducible run: sampling and noise from ChaCha20 streams keyed by this seed (at least 32 hex
   * digits or 16 bytes; numbers and shorter seeds are refused). Its epsilon holds only while the seed stays secret.
   */
  seed?: Seed;
  /**
   * A one-run privacy audit (Steinke, Nasr, Jagielski 2023): m canaries, each included with probability 1/2 and then
   * sampled with q and clipped like records; 'gradient' (Dirac canaries in gradient space, white-box) or 'input'
   * (random inputs with random labels, black-box, scored by their loss). `auditSubmission()` gives their scores after
   * training; the ledger is that of an unaudited run, and `save()` is refused (the inclusion bits never leave memory
   * before close).
   */
  audit?: AuditOptions;
}

/** The clipping a step uses: a fixed flat or per-layer threshold, or the adaptive one. */
export type ClipChoice = { kind: 'fixed'; clipping: Clipping } | { kind: 'adaptive'; options: AdaptiveClippingOptions };

function positive(name: string, v: unknown): number {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0))
    fail('invalid_argument', `${name} must be a finite number > 0, got ${String(v)}`);
  return v;
}

/**
 * Checks the options that need no model or accountant and settles the clipping choice.
 * @example
 * resolveClipping({ clipNorm: 1 } as DPTrainerOptions) // { kind: 'fixed', clipping: { kind: 'flat', clipNorm: 1 } }
 */
export function resolveClipping(o: DPTrainerOptions): ClipChoice {
  const given = [o.clipNorm !== undefined, o.clipping !== undefined, o.adaptiveClipping !== undefined].filter(
    Boolean,
  ).length;
  if (given !== 1) fail('invalid_argument', 'give exactly one of clipNorm, clipping or adaptiveClipping');
  if (o.adaptiveClipping) return { kind: 'adaptive', options: o.adaptiveClipping };
  if (o.clipNorm !== undefined)
    return { kind: 'fixed', clipping: { kind: 'flat', clipNorm: positive('clipNorm', o.clipNorm) } };
  const c = o.clipping!;
  if (c.kind === 'flat') positive('clipping.clipNorm', c.clipNorm);
  else if (c.kind === 'per_layer') c.clipNorms.forEach((v, i) => positive(`clipping.clipNorms[${i}]`, v));
  else fail('invalid_argument', `unknown clipping kind '${String((c as { kind: unknown }).kind)}'`);
  return { kind: 'fixed', clipping: c };
}

/**
 * The L2 sensitivity of one example's clipped gradient: C, or sqrt(sum C_l^2) for per-layer thresholds.
 * @example totalClipNorm({ kind: 'per_layer', clipNorms: [3, 4] }) // 5
 */
export function totalClipNorm(c: Clipping): number {
  return c.kind === 'flat' ? c.clipNorm : Math.sqrt(c.clipNorms.reduce((a, b) => a + b * b, 0));
}

/**
 * Checks sizes, sampler, noise and physical batch options; returns q = expectedBatchSize / datasetSize.
 * @example
 * checkSizes({ expectedBatchSize: 256, datasetSize: 60000, noiseMultiplier: 1 } as DPTrainerOptions) // 0.004266...
 */
export function checkSizes(o: DPTrainerOptions): number {
  if (!(Number.isSafeInteger(o.datasetSize) && o.datasetSize >= 1))
    fail('invalid_argument', `datasetSize must be an integer >= 1`);
  positive('expectedBatchSize', o.expectedBatchSize);
  if (o.expectedBatchSize > o.datasetSize)
    fail('invalid_argument', `expectedBatchSize ${o.expectedBatchSize} exceeds datasetSize ${o.datasetSize}`);
  if (o.sampler !== undefined && o.sampler !== 'poisson' && o.sampler !== 'shuffle')
    fail('invalid_argument', `sampler must be 'poisson' or 'shuffle'`);
  if (o.sampler === 'shuffle' && !Number.isInteger(o.expectedBatchSize))
    fail('invalid_argument', 'shuffle batching needs an integer expectedBatchSize');
  if (
    o.neighboringRelation !== undefined &&
    o.neighboringRelation !== 'add_or_remove_one' &&
    o.neighboringRelation !== 'replace_one'
  ) {
    fail('invalid_argument', `neighboringRelation must be 'add_or_remove_one' or 'replace_one'`);
  }
  if (
    o.maxPhysicalBatchSize !== undefined &&
    !(Number.isInteger(o.maxPhysicalBatchSize) && o.maxPhysicalBatchSize >= 1)
  ) {
    fail('invalid_argument', 'maxPhysicalBatchSize must be an integer >= 1');
  }
  if ((o.noiseMultiplier === undefined) === (o.target === undefined))
    fail('invalid_argument', 'give exactly one of noiseMultiplier or target');
  if (o.noiseMultiplier !== undefined) positive('noiseMultiplier', o.noiseMultiplier);
  if (o.target !== undefined) checkDelta(o, o.target.delta);
  if (o.noise !== undefined && o.noise !== 'gaussian' && o.noise !== 'discrete_gaussian')
    fail('invalid_argument', `noise must be 'gaussian' or 'discrete_gaussian'`);
  if (o.privateLoss !== undefined && typeof o.privateLoss !== 'boolean')
    fail('invalid_argument', 'privateLoss must be a boolean');
  return o.expectedBatchSize / o.datasetSize;
}

/**
 * The run's randomness: null for secure (the default), or the checked seed bytes of a seeded run. `secureMode:
 * false` without a seed and `secureMode: true` with one are refused, as are seeds under 128 bits.
 * @example resolveRandomness({ seed: '000102030405060708090a0b0c0d0e0f' } as DPTrainerOptions)!.length // 16
 */
export function resolveRandomness(o: Pick<DPTrainerOptions, 'seed' | 'secureMode'>): Uint8Array | null {
  if (o.secureMode !== undefined && typeof o.secureMode !== 'boolean')
    fail('invalid_argument', 'secureMode must be a boolean');
  if (o.seed === undefined || o.seed === null) {
    if (o.secureMode === false)
      fail(
        'invalid_argument',
        'secureMode: false needs a seed (at least 32 hex digits) for a seeded run; ' +
          'leave both out for secure randomness',
      );
    return null;
  }
  if (o.secureMode === true)
    fail('invalid_argument', 'secureMode: true and a seed exclude each other: a seeded run is not secure');
  return parseSeed(o.seed);
}

/**
 * Refuses delta >= 1 / datasetSize unless the options set allowLargeDelta (Dwork & Roth 2014, section 2.3).
 * @example checkDelta({ datasetSize: 1000 } as DPTrainerOptions, 1e-2) // throws TrainerError('invalid_argument')
 */
export function checkDelta(o: Pick<DPTrainerOptions, 'datasetSize' | 'allowLargeDelta'>, delta: number): void {
  if (!(typeof delta === 'number' && delta > 0 && delta < 1))
    fail('invalid_argument', `delta must be a number in (0, 1), got ${String(delta)}`);
  const why = deltaTooLarge(delta, o.datasetSize);
  if (why !== null && o.allowLargeDelta !== true)
    fail('invalid_argument', `${why}; pass allowLargeDelta: true to accept it anyway`);
}
