/**
 * Black-box canaries for the one-run audit (Steinke, Nasr, Jagielski 2023, Sec. 6 "black-box": input-space canaries
 * scored by their loss). Each of m canaries is an example (x_j, y_j): x_j an out-of-distribution input with
 * independent N(0, 1) features and y_j a class drawn uniformly, both from the run's RNG (secure by default). Each is
 * included independently with probability 1/2 (the bit stays secret until the run closes). An included canary is a
 * record: at every step it joins the batch independently with the logged q, and its per-example gradient is clipped
 * and summed with the records'. The score is loss_0(x_j, y_j) - loss_T(x_j, y_j), how much training lowered its loss:
 * a model that learnt the canary scores it high.
 *
 * Why the logged epsilon still holds for every record (and canary), with the ledger unchanged:
 * - The canaries are drawn independently of the data, so for neighbouring datasets D, D' (one record added or
 *   removed) training sees D + C_in and D' + C_in: neighbours again. A canary built from a training input (e.g. a
 *   record with a wrong label) would not do: that record would then enter twice, itself and its copy, and the bound
 *   would be that of a group of two, not the logged one.
 * - The Poisson-subsampled Gaussian bound (Abadi et al. 2016; Mironov, Talwar, Zhang 2019) needs only that each
 *   record joins each batch independently with the logged q, that its clipped contribution has norm <= C, that the
 *   sum gets N(0, sigma^2 C^2) noise, and that it is divided by a constant that does not depend on the data. It does
 *   not depend on how many other examples there are. So the canaries are sampled with the same q =
 *   expectedBatchSize / datasetSize, and the sum is still divided by expectedBatchSize.
 * - q is NOT recomputed as expectedBatchSize / (datasetSize + included canaries): the logged q would then be a
 *   function of the secret bits (their count would be in the ledger), and no bound needs it. The price is utility,
 *   not privacy: the expected batch grows by about q m / 2 examples that carry no information about the data.
 * - Nothing about the canaries leaves the step: they are not counted in the private loss or batch size, and each step
 *   draws one uniform per canary, in or out, so a seeded stream's position says nothing of the bits.
 */
import * as tf from '@tensorflow/tfjs';
import type { AuditOptions, AuditSubmission, CanaryStep, Canaries } from './canaries.js';
import { checkAuditOptions } from './canaries.js';
import { fail } from './fail.js';
import { fillGaussian } from './gaussian-noise.js';
import { outputsLogits } from './noisy-loss.js';
import { uniform53, uniformInt, type RandomSource } from './random-source.js';
import { clipAndAccumulate, perExampleLoss, type LayerRuleRegistry, type LossSpec } from '../per-sample/index.js';

/** What input canaries need of the trainer: the model and loss they are trained with, and the dataset size. */
export interface InputCanaryContext {
  model: tf.LayersModel;
  loss: LossSpec;
  fromLogits?: boolean;
  rules?: LayerRuleRegistry;
  datasetSize: number;
  maxPhysicalBatchSize?: number;
}

/** At most this many canary input values (128 MiB of float32), all held in memory for the run. */
const MAX_CANARY_VALUES = 2 ** 25;

/** Rows per forward pass when scoring. */
const SCORE_CHUNK = 1024;

/** Out-of-distribution, randomly labelled input canaries. */
export class InputCanaries implements Canaries {
  private readonly xs: tf.Tensor;
  private readonly ys: tf.Tensor;
  /** Secret inclusion bits. */
  private readonly included: boolean[];
  private initial: Float32Array | null = null;

  constructor(
    options: AuditOptions,
    private readonly ctx: InputCanaryContext,
    rng: RandomSource,
  ) {
    checkAuditOptions(options);
    const m = options.canaries;
    const { model, loss } = ctx;
    if (model.inputs.length !== 1 || model.outputs.length !== 1)
      fail('invalid_argument', 'input canaries need a model with one input and one output');
    const inShape = model.inputs[0]!.shape.slice(1);
    if (inShape.some((d) => d === null) || model.inputs[0]!.dtype !== 'float32')
      fail('invalid_argument', 'input canaries need a float32 input of fixed shape');
    const classes = model.outputs[0]!.shape.at(-1);
    if (typeof classes !== 'number') fail('invalid_argument', 'input canaries need an output of fixed size');
    if (
      loss !== 'categoricalCrossentropy' &&
      loss !== 'sparseCategoricalCrossentropy' &&
      loss !== 'binaryCrossentropy'
    ) {
      fail(
        'invalid_argument',
        'input canaries need a named classification loss ' +
          '(categorical, sparse categorical or binary cross-entropy): their label is a class drawn at random',
      );
    }
    if (loss !== 'binaryCrossentropy' && classes < 2)
      fail('invalid_argument', 'input canaries need at least 2 classes');
    const dims = inShape as number[];
    const perInput = dims.reduce((a, b) => a * b, 1);
    if (m * perInput > MAX_CANARY_VALUES)
      fail(
        'invalid_argument',
        `audit.canaries ${m} is too large for inputs of ${perInput} values: ` +
          `at most ${Math.floor(MAX_CANARY_VALUES / perInput)}`,
      );
    // N(0, 1) features: far from most data, nearly orthogonal to each other
    const x = fillGaussian(rng, new Float32Array(m * perInput), 1);
    const labels = Int32Array.from({ length: loss === 'binaryCrossentropy' ? m * classes : m }, () =>
      uniformInt(rng, loss === 'binaryCrossentropy' ? 2 : classes),
    );
    this.xs = tf.tensor(x, [m, ...dims], 'float32');
    this.ys =
      loss === 'categoricalCrossentropy'
        ? tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat())
        : loss === 'sparseCategoricalCrossentropy'
          ? tf.tensor1d(labels, 'float32')
          : tf.tensor2d(Float32Array.from(labels), [m, classes], 'float32');
    this.included = Array.from({ length: m }, () => (rng.nextUint32() & 1) === 1); // a fair coin each
  }

  /** m. */
  get count(): number {
    return this.included.length;
  }

  /** Each canary's loss under the current weights, in chunks. */
  private async losses(): Promise<Float32Array> {
    const m = this.count;
    const out = new Float32Array(m);
    const logits = outputsLogits(this.ctx.model, this.ctx.fromLogits);
    for (let from = 0; from < m; from += SCORE_CHUNK) {
      const size = Math.min(SCORE_CHUNK, m - from);
      const l = tf.tidy(() => {
        const pred = this.ctx.model.predict(this.xs.slice(from, size)) as tf.Tensor;
        return perExampleLoss(this.ctx.loss, this.ys.slice(from, size), pred, logits);
      });
      out.set(await l.data(), from);
      l.dispose();
    }
    return out;
  }

  get started(): boolean {
    return this.initial !== null;
  }

  /** Reads the canaries' losses under the starting weights (once, before the first update). */
  async start(): Promise<void> {
    if (!this.initial) this.initial = await this.losses();
  }

  /**
   * Draws, for every canary, whether it joins this step (probability q, Poisson, like a record); the included ones
   * that do are clipped like records and their sum is added to `sums`.
   */
  async addSampled(sums: tf.Tensor[], step: CanaryStep): Promise<tf.Tensor[]> {
    const picked: number[] = [];
    for (let i = 0; i < this.count; i++) if (uniform53(step.rng) < step.q && this.included[i]) picked.push(i);
    const physical = this.ctx.maxPhysicalBatchSize ?? Math.max(1, picked.length);
    for (let from = 0; from < picked.length; from += physical) {
      const idx = tf.tensor1d(picked.slice(from, from + physical), 'int32');
      const x = tf.gather(this.xs, idx);
      const y = tf.gather(this.ys, idx);
      const r = clipAndAccumulate(this.ctx.model, x, y, {
        loss: this.ctx.loss,
        fromLogits: this.ctx.fromLogits,
        clipping: step.clipping,
        rules: this.ctx.rules,
      });
      const next = sums.map((s, i) => tf.add(s, r.sums[i]!));
      tf.dispose([sums, r.sums, r.norms, r.lossSum, x, y, idx]);
      sums = next;
    }
    return sums;
  }

  /**
   * Scores loss_0 - loss_T and the inclusion bits; call after training (the bits are the run's secret).
   * @example await trainer.auditSubmission() // { canary_kind: 'input', scores: [...], included: [...] }
   */
  async submission(): Promise<AuditSubmission> {
    if (!this.initial) fail('invalid_argument', 'no step has run: there is nothing to audit');
    const now = await this.losses();
    return {
      canary_kind: 'input',
      scores: Array.from(now, (l, i) => this.initial![i]! - l),
      included: [...this.included],
    };
  }
}
