/**
 * DPTrainer: DP-SGD (Abadi et al. 2016) for a tfjs-layers model. One step: draw a batch (Poisson by default),
 * log its DpEvent to the accountant BEFORE anything is released, sum the per-example clipped gradients (in physical
 * chunks if asked), add noise, divide by the EXPECTED batch size, apply the optimizer.
 */
import * as tf from '@tensorflow/tfjs';
import type { DpEvent, NeighboringRelation, PrivacyAccountant } from '@dpledger/accounting';
import {
  epochSteps,
  PoissonSampler,
  ShuffleSampler,
  trainerEpoch,
  type BatchSampler,
  type SamplerKind,
  type SamplerState,
} from './batch-sampler.js';
import { discreteGaussianParameters, rhoFor } from './discrete-gaussian-mechanism.js';
import { fail } from './fail.js';
import { makeNoiseMechanism } from './make-noise-mechanism.js';
import type { NoiseMechanism } from './noise-mechanism.js';
import type { NoiseSource } from './noise-prefetch.js';
import { calibrate, makeAccountant, type AccountantKind } from './local-accountant.js';
import { DpOptimizer } from './optimizer.js';
import {
  checkNoisyLoss,
  noisyLossEstimate,
  noisyLossEvent,
  type NoisyLoss,
  type NoisyLossOptions,
} from './noisy-loss.js';
import type { Clipping } from '../per-sample/index.js';
import { SecureRandomSource, SeededRandomSource, type NoiseRngMode, type RandomSource } from './random-source.js';
import { stepEvent, type BatchOrigin } from './step-events.js';
import { runRelation } from './neighboring-relation.js';
import { StepLedger, type RemoteAccountant } from './step-ledger.js';
import { StepRead } from './step-read.js';
import { accuracy } from './accuracy.js';
import type { AuditSubmission, Canaries } from './canaries.js';
import { makeCanaries } from './make-canaries.js';
import { faults } from './faults.js';
import { watchGpu } from '../backends/gpu-watch.js';
import type { FitHistory, FitOptions, StepResult } from './fit-types.js';
import type { ResumeOptions } from './checkpoint.js';
import type { SeededPositions, TrainerSnapshot } from './trainer-snapshot.js';
import {
  checkDelta,
  checkSizes,
  resolveClipping,
  resolveRandomness,
  totalClipNorm,
  type ClipChoice,
  type DPTrainerOptions,
} from './trainer-options.js';
import { SerialQueue } from './serial-queue.js';
import { ShardedSteps } from '../parallel/index.js';

/** The DP-SGD trainer. */
export class DPTrainer {
  readonly model: tf.LayersModel;
  readonly options: Readonly<DPTrainerOptions>;
  readonly samplingProbability: number;
  readonly noiseMultiplier: number;
  readonly samplerKind: SamplerKind;
  readonly noiseKind: 'gaussian' | 'discrete_gaussian';
  readonly accountantKind: AccountantKind | 'custom' | 'remote';
  /** The neighbouring relation every step is priced under (that of the accountant or remote budget). */
  readonly neighboringRelation: NeighboringRelation;
  /** A seeded run's seed: only here and in its streams, never in options, snapshots or checkpoints. */
  readonly #seed: Uint8Array | null;
  private readonly clip: ClipChoice;
  private readonly stepLedger: StepLedger;
  private readonly optimizer: DpOptimizer;
  /** Sampling and every draw besides the Gaussian noise (a seeded run's 'sampling' stream). */
  private rng: RandomSource;
  private mechanism: NoiseMechanism;
  private batchSampler: BatchSampler | null = null;
  private canaries: Canaries | null;
  private steps = 0;
  /** Set once a step or a restore went through: a restore needs a fresh trainer. */
  private used = false;
  private auditSent = false;
  private stopReason: 'budget_exhausted' | null = null;
  /** Steps, fits, saves and closes run one at a time, in call order (see `serial`). */
  private readonly queue = new SerialQueue();
  /** The threads each step's per-example work runs on (option `threads`). */
  private readonly shards: ShardedSteps;

  /**
   * @example
   * const t = new DPTrainer({ model, loss: 'categoricalCrossentropy', optimizer: { kind: 'sgd', learningRate: 0.1 },
   *   clipNorm: 1, noiseMultiplier: 1.1, expectedBatchSize: 256, datasetSize: 60000 });
   */
  constructor(options: DPTrainerOptions) {
    this.#seed = resolveRandomness(options);
    const { seed: _seed, ...kept } = options; // the seed lives only in the streams, never in options or snapshots
    this.options = Object.freeze(kept);
    this.model = options.model;
    this.clip = resolveClipping(options);
    this.samplingProbability = checkSizes(options);
    this.samplerKind = options.sampler ?? 'poisson';
    this.noiseKind = options.noise ?? 'gaussian';
    const acc = options.accountant ?? 'rdp';
    const remote = typeof acc === 'object' && 'client' in acc ? (acc as RemoteAccountant) : undefined;
    const custom = typeof acc === 'object' && !remote ? (acc as PrivacyAccountant) : undefined;
    const localKind: AccountantKind = typeof acc === 'string' ? acc : 'rdp';
    this.accountantKind = remote ? 'remote' : custom ? 'custom' : localKind;
    this.neighboringRelation = runRelation(options, custom, remote);
    this.noiseMultiplier = options.noiseMultiplier ?? this.calibrated(localKind);
    ({ rng: this.rng, mechanism: this.mechanism } = this.streams({ position: 0, noisePosition: 0 }));
    this.stepLedger = new StepLedger(custom ?? makeAccountant(localKind, this.neighboringRelation), remote);
    if (!this.stepLedger.supports(this.currentEvent()))
      fail('invalid_argument', `the accountant cannot account this trainer's ${this.currentEvent().kind} steps`);
    this.optimizer = new DpOptimizer(options.optimizer);
    if (options.audit && this.clip.kind !== 'fixed')
      fail('invalid_argument', 'an audited run needs a fixed clip norm (canaries are clipped to it)');
    this.canaries = options.audit ? makeCanaries(options.audit, options, this.rng) : null;
    this.shards = new ShardedSteps(options.model, options);
  }

  /**
   * The run's randomness from stream positions: the sampling stream and the noise mechanism drawing from it or from
   * its own stream. Seeded: the seed's 'sampling' and 'noise' streams at `at` (the worker generates the noise
   * independently of sampling); secure: the CSPRNG, positions ignored.
   */
  private streams(at: SeededPositions): { rng: RandomSource; mechanism: NoiseMechanism } {
    const seed = this.#seed;
    const rng = seed
      ? new SeededRandomSource(seed, { stream: 'sampling', position: at.position })
      : new SecureRandomSource();
    const noiseSource: NoiseSource = seed ? { seeded: { seed, position: at.noisePosition ?? 0 } } : { secure: rng };
    const o = this.options;
    const mechanism = makeNoiseMechanism({
      noise: this.noiseKind,
      clip: this.clip,
      noiseMultiplier: this.noiseMultiplier,
      expectedBatchSize: o.expectedBatchSize,
      datasetSize: o.datasetSize,
      dimension: this.parameterCount(),
      rng,
      noiseSource,
    });
    return { rng, mechanism };
  }

  private calibrated(kind: AccountantKind): number {
    const t = this.options.target!;
    const o = this.options;
    if ((t.epochs === undefined) === (t.steps === undefined))
      fail('invalid_argument', 'target needs exactly one of epochs or steps');
    if (t.steps !== undefined && !(Number.isSafeInteger(t.steps) && t.steps >= 1))
      fail('invalid_argument', 'target.steps must be an integer >= 1');
    // exactly the steps fit({ epochs }) or fit({ steps }) runs: one formula (stepsForEpochs) for both
    const steps = t.steps ?? epochSteps(t.epochs!, this.epoch());
    const clip = this.clip.kind === 'fixed' ? totalClipNorm(this.clip.clipping) : 1;
    const d = this.parameterCount();
    const relation = this.neighboringRelation;
    const mechanism = (sigma: number) =>
      this.noiseKind === 'discrete_gaussian'
        ? {
            noise: 'discrete_gaussian' as const,
            rho: rhoFor(discreteGaussianParameters(sigma, clip, d, o.datasetSize), relation),
          }
        : { noise: 'gaussian' as const, noiseMultiplier: sigma };
    return calibrate(
      t,
      steps,
      kind,
      (sigma) => stepEvent(this.samplerKind, this.samplingProbability, mechanism(sigma), relation),
      relation,
    );
  }

  /** The epoch fit() counts in, from n and B (@dpledger/accounting stepsPerEpoch). */
  private epoch() {
    return trainerEpoch(this.samplerKind, this.options.datasetSize, this.options.expectedBatchSize);
  }

  private parameterCount(): number {
    return this.model.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
  }

  /** Steps applied so far (including those before a resume). */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * @internal For tests: the live sampling stream, Gaussian noise stream and adaptive clip norm (read them, never set).
   */
  get internals() {
    return { rng: this.rng, noise: this.mechanism.stream, adaptive: this.mechanism.adaptive } as const;
  }

  /**
   * Where sampling and noise randomness comes from: 'secure' (platform CSPRNG, the default) or 'seeded' (ChaCha20
   * keyed by the seed; every epsilon of such a run holds only while the seed stays secret).
   */
  get noiseRng(): NoiseRngMode {
    return this.rng.mode;
  }

  /** The clip norm the next step uses (moves under adaptive clipping). */
  get clipNorm(): number {
    return totalClipNorm(this.mechanism.clipping());
  }

  /** Everything accounted so far, as one composed DpEvent. */
  get ledger(): DpEvent {
    return this.stepLedger.local.ledger;
  }

  /** Set once a remote budget refused a step. */
  get stopped(): 'budget_exhausted' | null {
    return this.stopReason;
  }

  /**
   * The epsilon spent so far at `delta` (< 1/datasetSize unless allowLargeDelta), by the local accountant (a mirror of
   * the remote ledger in remote mode).
   */
  epsilon(delta: number): number {
    checkDelta(this.options, delta);
    return this.stepLedger.local.getEpsilon(delta);
  }

  /** The DpEvent one step is logged as: a batch of the trainer's sampler (`fit`) by default, or a caller's (`step`). */
  currentEvent(origin: BatchOrigin = this.samplerKind): DpEvent {
    const relation = this.neighboringRelation;
    return stepEvent(origin, this.samplingProbability, this.mechanism.event(relation), relation);
  }

  /** The sampler over `datasetSize` examples (made on first use, restored by resume). */
  sampler(savedState?: SamplerState): BatchSampler {
    if (!this.batchSampler) {
      const { rng } = this;
      const o = this.options;
      this.batchSampler =
        this.samplerKind === 'poisson'
          ? new PoissonSampler(rng, o.datasetSize, this.samplingProbability, o.expectedBatchSize)
          : new ShuffleSampler(rng, o.datasetSize, o.expectedBatchSize, savedState);
    }
    return this.batchSampler;
  }

  /**
   * Runs `fn` once every earlier step, fit, save and close of this trainer has finished, so overlapping calls
   * (e.g. `Promise.all([t.step(a), t.step(b)])`) apply their steps one after the other and account each once.
   * A fit callback must therefore not await `step` or `fit` of its own trainer.
   */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(fn);
  }

  /**
   * One DP-SGD step on a batch the CALLER drew. The trainer cannot know how it was drawn, so it claims no
   * amplification by sampling: the step is logged as one unamplified Gaussian, gaussian(sigma) under
   * add_or_remove_one (gaussian(sigma / 2) under replace_one), whose epsilon is far larger than a Poisson-sampled
   * step's (sigma = 1, q = 1/8: about 4.7 against 2.3 at delta 1e-5 by RDP). Use `fit` to get poisson_sampled
   * accounting.
   * Each record may appear at most once in the batch (a record repeated k times moves the sum by k C); the batch's
   * size does not change the sensitivity (every example is clipped to C; the sum is still divided by
   * expectedBatchSize).
   * @example const r = await trainer.step(xBatch, yBatch); if (!r.applied) console.log(r.stopped);
   */
  async step(xBatch: tf.Tensor, yBatch: tf.Tensor): Promise<StepResult> {
    if (xBatch.shape[0] !== yBatch.shape[0])
      fail('bad_input', `batch has ${xBatch.shape[0]} inputs and ${yBatch.shape[0]} targets`);
    return this.serial(() =>
      this.runStep('caller', xBatch.shape[0] ?? 0, (from, to) =>
        // the whole batch in one chunk (one thread): a clone shares its data, where a slice copies it
        from === 0 && to === xBatch.shape[0]
          ? [tf.clone(xBatch), tf.clone(yBatch)]
          : [xBatch.slice(from, to - from), yBatch.slice(from, to - from)],
      ),
    );
  }

  private async runStep(
    origin: BatchOrigin,
    batchSize: number,
    chunk: (from: number, to: number) => [tf.Tensor, tf.Tensor],
  ): Promise<StepResult> {
    const { mechanism } = this;
    const clipNorm = this.clipNorm;
    const base = { step: this.stepCount, clipNorm };
    const gpu = await watchGpu(`step ${this.stepCount}`); // throws gpu_error if the device failed since the last step
    // throws worker_error if a shard worker died since the last step
    await this.shards.prepare(`step ${this.stepCount}`);
    if (this.stopReason || !(await this.stepLedger.authorize(this.currentEvent(origin)))) {
      this.stopReason = 'budget_exhausted';
      await this.stepLedger.flush();
      return { ...base, applied: false, stopped: 'budget_exhausted', private: { loss: NaN, batchSize } };
    }
    this.used = true;
    const vars = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const clipping: Clipping = faults.clipping ? mechanism.clipping() : { kind: 'flat', clipNorm: Number.MAX_VALUE };
    await this.canaries?.start(vars);
    const { adaptive } = mechanism;
    const wantLoss = this.options.privateLoss === true;
    let summed: tf.Tensor[] | null = null; // the first chunk's sums as they are, later chunks added in chunk order
    // [loss sum, examples with norm <= C], kept only when asked for or needed: read once at most (step-read.ts)
    let figures: tf.Tensor | null = wantLoss || adaptive ? tf.zeros([2]) : null;
    // chunks of maxPhysicalBatchSize, spread over the step's threads; their results come back in chunk order
    const clipOptions = {
      loss: this.options.loss,
      fromLogits: this.options.fromLogits,
      clipping,
      rules: this.options.rules,
    };
    await this.shards
      .forEachChunk(batchSize, chunk, clipOptions, (r) => {
        if (summed === null) summed = r.sums;
        else {
          const next = summed.map((s, i) => tf.add(s, r.sums[i]!));
          tf.dispose([summed, r.sums]);
          summed = next;
        }
        if (figures) {
          const f = figures;
          figures = tf.tidy(() =>
            f.add(
              tf.stack([
                wantLoss ? r.lossSum : tf.scalar(0),
                adaptive ? r.norms.lessEqual(clipNorm).sum().toFloat() : tf.scalar(0),
              ]),
            ),
          );
          f.dispose();
        }
        tf.dispose([r.norms, r.lossSum]);
      })
      .catch((e: unknown) => {
        if (summed !== null) tf.dispose(summed as tf.Tensor[]);
        figures?.dispose();
        throw e; // nothing of this step is applied
      });
    // an empty (Poisson) batch has no chunks: its clipped sums are zeros
    let sums = (summed as tf.Tensor[] | null) ?? vars.map((v) => tf.zerosLike(v));
    const reads = new StepRead(gpu, figures);
    let grads: tf.Tensor[];
    let lossSum: number;
    let atMostC: number;
    try {
      if (this.canaries)
        sums = await this.canaries.addSampled(sums, { q: this.samplingProbability, clipNorm, clipping, rng: this.rng });
      // divide by the EXPECTED batch size (Poisson: the realised size is private and may be 0)
      grads = await mechanism.privatize(sums, this.options.expectedBatchSize, reads.read);
      tf.dispose(sums);
      try {
        [lossSum = NaN, atMostC = NaN] = (await reads.figures()) ?? [];
        await gpu.settle();
      } catch (e) {
        tf.dispose(grads);
        throw e; // a GPU error of this step, thrown before its update is applied
      }
    } finally {
      reads.dispose();
    }
    const update = await watchGpu(`step ${this.stepCount} (update)`);
    this.optimizer.apply(vars, grads);
    tf.dispose(grads);
    await update.settle();
    adaptive?.update(atMostC, batchSize, this.rng);
    this.steps++;
    return {
      ...base,
      applied: true,
      private: { loss: wantLoss && batchSize > 0 ? lossSum / batchSize : NaN, batchSize },
    };
  }

  /**
   * Trains for `epochs` (round(epochs x stepsPerEpoch) steps, @dpledger/accounting stepsForEpochs, the count a
   * target in epochs is calibrated for) or `steps` logical steps, drawing batches with the sampler.
   * @example
   * const onStep = (r: StepResult) => console.log(`loss ${r.private.loss} (private, not DP)`);
   * const h = await trainer.fit(xs, ys, { epochs: 2, callbacks: { onStep } });
   */
  fit(xs: tf.Tensor, ys: tf.Tensor, opts: FitOptions): Promise<FitHistory> {
    return this.serial(() => this.fitNow(xs, ys, opts));
  }

  private async fitNow(xs: tf.Tensor, ys: tf.Tensor, opts: FitOptions): Promise<FitHistory> {
    if (xs.shape[0] !== this.options.datasetSize || ys.shape[0] !== this.options.datasetSize) {
      fail(
        'bad_input',
        `datasetSize is ${this.options.datasetSize} but the data has ${xs.shape[0]} inputs and ${ys.shape[0]} targets`,
      );
    }
    const sampler = this.sampler();
    if ((opts.epochs === undefined) === (opts.steps === undefined))
      fail('invalid_argument', 'give exactly one of epochs or steps');
    const total = opts.steps ?? epochSteps(opts.epochs!, this.epoch());
    if (!(Number.isInteger(total) && total >= 0)) fail('invalid_argument', 'steps must be an integer >= 0');
    const noisy = opts.noisyLoss === undefined ? undefined : checkNoisyLoss(opts.noisyLoss, sampler.kind);
    if (noisy && !this.stepLedger.supports(noisyLossEvent(this.samplingProbability, noisy.noiseMultiplier)))
      fail('invalid_argument', 'the accountant cannot account the noisy loss events');
    const history: FitHistory = { steps: 0, valAccuracy: [], noisyLoss: [], private: { loss: [], batchSizes: [] } };
    try {
      for (let k = 0; k < total; k++) {
        const idx = sampler.next();
        const r = await this.runStep(sampler.kind, idx.length, (from, to) => {
          const part = tf.tensor1d(idx.subarray(from, to), 'int32');
          const out: [tf.Tensor, tf.Tensor] = [tf.gather(xs, part), tf.gather(ys, part)];
          part.dispose();
          return out;
        });
        if (!r.applied) {
          history.stopped = { reason: 'budget_exhausted', atStep: this.stepCount };
          break;
        }
        history.steps++;
        history.private.loss.push(r.private.loss);
        history.private.batchSizes.push(r.private.batchSize);
        await opts.callbacks?.onStep?.(r);
        if (noisy && history.steps % noisy.every === 0) {
          const released = await this.releaseNoisyLoss(xs, ys, noisy);
          if (released === null) {
            history.stopped = { reason: 'budget_exhausted', atStep: this.stepCount };
            break;
          }
          history.noisyLoss.push(released);
          await opts.callbacks?.onNoisyLoss?.(released);
        }
        if ((k + 1) % sampler.stepsPerEpoch === 0 || k + 1 === total) {
          const valAccuracy = opts.validationData
            ? await accuracy(this.model, opts.validationData[0], opts.validationData[1])
            : undefined;
          if (valAccuracy !== undefined) history.valAccuracy.push(valAccuracy);
          await opts.callbacks?.onEpochEnd?.(Math.ceil((k + 1) / sampler.stepsPerEpoch), {
            valAccuracy,
            step: this.stepCount,
          });
        }
      }
    } finally {
      await this.stepLedger.flush();
    }
    return history;
  }

  /** Accounts one noisy loss estimate BEFORE computing it on a fresh Poisson batch; null when the budget refuses it. */
  private async releaseNoisyLoss(xs: tf.Tensor, ys: tf.Tensor, o: NoisyLossOptions): Promise<NoisyLoss | null> {
    const idx = this.sampler().next(); // a fresh Poisson draw, independent of the step's batch
    if (!(await this.stepLedger.authorize(noisyLossEvent(this.samplingProbability, o.noiseMultiplier)))) {
      this.stopReason = 'budget_exhausted';
      return null;
    }
    this.used = true;
    const { model, options: t } = this;
    const loss = await noisyLossEstimate({
      model,
      loss: t.loss,
      fromLogits: t.fromLogits,
      xs,
      ys,
      idx,
      clip: o.clip,
      noiseMultiplier: o.noiseMultiplier,
      expectedBatchSize: t.expectedBatchSize,
      rng: this.rng,
    });
    return { step: this.stepCount, loss };
  }

  /**
   * The trainer's state as a plain object, like a state dict: weights, optimizer state, step count, clip norm,
   * sampler state, the ledger, the settings, and of its randomness only the mode and a seeded run's stream positions
   * (never a seed, a key or a secure generator's state). Commits any open remote reservation first, so the remote
   * run holds every step the snapshot does. An audited run is refused (its canaries' secret inclusion bits stay in
   * memory until close).
   * @example const s = await trainer.snapshot(); const next = new DPTrainer(sameOptions); await next.restore(s);
   */
  snapshot(): Promise<TrainerSnapshot> {
    return this.serial(async () => {
      this.refuseAudited();
      await this.stepLedger.flush();
      return this.snapshotNow();
    });
  }

  private refuseAudited(): void {
    if (this.canaries)
      fail(
        'invalid_argument',
        'an audited run cannot be checkpointed: ' +
          'its canaries and their secret inclusion bits stay in memory until close',
      );
  }

  private async snapshotNow(): Promise<TrainerSnapshot> {
    // asynchronous reads: webgpu in Node has no synchronous one
    const read = async (w: tf.Tensor) => ({ shape: w.shape.slice(), values: Float32Array.from(await w.data()) });
    const weights = await Promise.all(this.model.getWeights().map(read));
    const optimizer = await this.optimizer.getState();
    const { model: _m, accountant: _a, rules: _r, target: _t, loss, secureMode: _sm, ...rest } = this.options;
    const { rng, mechanism, noiseMultiplier, neighboringRelation } = this;
    const seeded = () => ({
      mode: 'seeded' as const,
      position: rng.position()!,
      noisePosition: mechanism.stream?.position() ?? null,
    });
    return {
      stepCount: this.steps,
      settings: {
        ...rest,
        loss: typeof loss === 'string' ? loss : null,
        noiseMultiplier,
        neighboringRelation,
        accountant: this.accountantKind,
      },
      clipNorm: this.clipNorm,
      rng: rng.mode === 'secure' ? { mode: 'secure' } : seeded(),
      sampler: this.batchSampler?.state() ?? null,
      optimizer,
      weights,
      ledger: this.ledger,
    };
  }

  /**
   * Continues the run a snapshot holds, in this FRESH trainer (no step taken, not restored before; made with the
   * same model architecture, and with the same seed when the snapshot is of a seeded run, which then continues its
   * streams where they stood; a secure run continues with fresh randomness). Epsilon continues from the snapshot's
   * ledger, never from zero; with a remote accountant the run's ledger is first made to match it (missing steps
   * appended, an older snapshot than the run refused with `ledger_mismatch`). Everything is checked before anything
   * changes.
   * @example const t = new DPTrainer(options); await t.restore(await other.snapshot());
   */
  restore(snapshot: TrainerSnapshot): Promise<void> {
    return this.serial(() => this.restoreNow(snapshot));
  }

  private async restoreNow(s: TrainerSnapshot): Promise<void> {
    if (this.used || this.steps > 0)
      fail('invalid_argument', 'restore needs a fresh trainer: this one has taken steps or been restored');
    if (s.rng?.mode === 'seeded') {
      if (!this.#seed)
        fail(
          'invalid_argument',
          'this snapshot is of a seeded run: pass the same seed again as options.seed (a snapshot never holds it)',
        );
    } else if (s.rng?.mode === 'secure') {
      if (this.#seed) fail('invalid_argument', 'this snapshot is of a secure run: it cannot continue as a seeded one');
    } else fail('bad_input', 'the snapshot has no randomness mode');
    if (!(Number.isSafeInteger(s.stepCount) && s.stepCount >= 0))
      fail('bad_input', 'the snapshot step count must be an integer >= 0');
    if (!sameShapes(s.weights, this.model.getWeights()))
      fail('bad_input', 'the snapshot weights do not fit this model');
    const vars = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { kind } = this.optimizer.config;
    if (s.optimizer.kind !== kind)
      fail('bad_input', `the snapshot optimizer is '${s.optimizer.kind}', this trainer uses '${kind}'`);
    if (!s.optimizer.slots.every((slot) => sameShapes(slot, vars)))
      fail('bad_input', 'the snapshot optimizer state does not fit this model');
    let fresh: { rng: RandomSource; mechanism: NoiseMechanism } | null = null;
    if (s.rng.mode === 'seeded') {
      if (this.mechanism.stream && typeof s.rng.noisePosition !== 'number')
        fail('bad_input', 'the snapshot has no seeded noise stream position');
      fresh = this.streams(s.rng);
    }
    // A remote run must hold the snapshot's steps before any new one: the missing ones are appended, a fork refused.
    await this.stepLedger.syncRemote(s.ledger);
    this.used = true;
    if (fresh) {
      this.mechanism.stream?.close();
      ({ rng: this.rng, mechanism: this.mechanism } = fresh);
      // audited continuation: its canaries come from the continued stream, before its batches
      this.canaries = this.options.audit ? makeCanaries(this.options.audit, this.options, this.rng) : null;
    }
    tf.tidy(() => this.model.setWeights(s.weights.map((w) => tf.tensor(w.values, w.shape, 'float32'))));
    this.optimizer.setState(s.optimizer, vars);
    this.steps = s.stepCount;
    if (this.mechanism.adaptive) this.mechanism.adaptive.clipNorm = s.clipNorm;
    this.batchSampler = null;
    if (s.sampler) this.sampler(s.sampler);
    this.replayLedger(s.ledger);
  }

  /** Composes a saved ledger into the accountant: epsilon continues from it. */
  private replayLedger(ledger: DpEvent): void {
    // entry by entry, so the run-length merged ledger continues exactly as if never interrupted
    const entries = ledger.kind === 'composed' ? ledger.events : [ledger];
    for (const e of entries) {
      if (e.kind === 'self_composed') this.stepLedger.local.compose(e.event, e.count);
      else this.stepLedger.local.compose(e, 1);
    }
  }

  /**
   * Saves `snapshot()` in `dir` (checkpoint.ts: weights, optimizer state, step, stream positions, sampler state, the
   * ledger). An audited run is refused: its canaries and their secret inclusion bits live only in memory until close
   * (to audit a long run, resume an unaudited checkpoint with `audit` and the continuation is audited).
   * @example await trainer.save('./ckpt');
   */
  save(dir: string): Promise<{ weightsSha256: string }> {
    return this.serial(async () => {
      this.refuseAudited();
      await this.closeNow();
      // node:fs only when used: DPTrainer stays browser-safe
      const { writeCheckpoint } = await import('./checkpoint.js');
      return writeCheckpoint(await this.snapshotNow(), dir);
    });
  }

  /**
   * A trainer continuing a saved run (same architecture in `options.model`); epsilon continues from the saved ledger.
   * @example const t = await DPTrainer.resume('./ckpt', { model });
   */
  static async resume(dir: string, options: ResumeOptions): Promise<DPTrainer> {
    const { readCheckpoint, resumeOptions } = await import('./checkpoint.js');
    const snapshot = await readCheckpoint(dir);
    const t = new DPTrainer(resumeOptions(snapshot, options));
    try {
      await t.restore(snapshot);
    } catch (err) {
      t.mechanism.stream?.close();
      throw err;
    }
    return t;
  }

  /**
   * The audit canaries' scores and secret inclusion bits (after training), for the accountant's
   * POST /v1/runs/{id}/audit or for @dpledger/audit's auditFromScores; null when the run has no canaries.
   * @example const audit = await trainer.auditSubmission();
   */
  async auditSubmission(): Promise<AuditSubmission | null> {
    if (!this.canaries) return null;
    return this.canaries.submission(this.model.trainableWeights.map((w) => w.read()));
  }

  /**
   * Commits any open remote reservation (its unused steps go back to the budget), submits the audit to a remote run
   * whose client can take it (once), and stops the noise worker. When the commit fails it throws and keeps the count:
   * call close() again to retry (the steps were taken).
   */
  close(): Promise<void> {
    return this.serial(() => this.closeNow());
  }

  /** close() without waiting its turn (for save, which already holds it). */
  private async closeNow(): Promise<void> {
    this.mechanism.stream?.close();
    this.shards.close();
    await this.stepLedger.flush();
    const client = this.stepLedger.remote?.client;
    if (this.canaries?.started && client?.submitAudit && !this.auditSent) {
      await client.submitAudit(this.stepLedger.remote!.runId, (await this.auditSubmission())!);
      this.auditSent = true;
    }
  }
}

/** Whether two lists of tensors (or saved ones) have the same shapes in order. */
function sameShapes(
  saved: readonly { shape: readonly number[] }[],
  want: readonly { shape: readonly number[] }[],
): boolean {
  return saved.length === want.length && saved.every((w, i) => w.shape.join() === want[i]!.shape.join());
}
