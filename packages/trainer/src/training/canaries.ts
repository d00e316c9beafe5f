/**
 * Canaries for the one-run privacy audit (Steinke, Nasr, Jagielski 2023, Sec. 6 "white-box" Dirac canaries in
 * gradient space). Each of m canaries is a coordinate direction e_j of the flattened parameters, distinct per canary,
 * and is included in the training data independently with probability 1/2 (secret until the run closes). An included
 * canary is a record like any other: at each step it joins the batch with the step's sampling probability, and its
 * gradient, R e_j with R far above the clip norm, goes through clipping to C e_j. Its score after training is the
 * total movement of parameter j against the gradient, theta_0[j] - theta_T[j]: the dot product of the summed updates
 * with -e_j.
 */
import * as tf from '@tensorflow/tfjs';
import { fail } from './fail.js';
import { faults } from './faults.js';
import { uniform53, uniformInt, type RandomSource } from './random-source.js';
import type { Clipping } from '../per-sample/index.js';

/** What an audited trainer was asked for. */
export interface AuditOptions {
  /** m: how many canaries (each included with probability 1/2). */
  canaries: number;
  /**
   * 'gradient': Dirac canaries in gradient space (white-box, the strongest). 'input': out-of-distribution examples
   * with random labels, trained on like records (black-box, weaker; see input-canaries.ts).
   */
  kind: 'gradient' | 'input';
}

/** The canaries' scores and inclusion bits, as the accountant's POST /v1/runs/{id}/audit takes them. */
export interface AuditSubmission {
  canary_kind: 'gradient' | 'input';
  scores: number[];
  included: boolean[];
}

/** What one step tells its canaries: the logged sampling probability and the clipping the records got. */
export interface CanaryStep {
  q: number;
  clipNorm: number;
  clipping: Clipping;
  rng: RandomSource;
}

/** Either kind of canaries, as the trainer's step uses them. */
export interface Canaries {
  /** Fixes what the scores are measured from (once, before the first update). */
  start(vars: readonly tf.Tensor[]): Promise<void>;
  /**
   * Whether `start` ran, i.e. a step of this trainer moved the canaries (a resumed trainer's earlier steps do not
   * count).
   */
  readonly started: boolean;
  /** Adds the clipped gradients of the included canaries sampled into this step (disposing the sums it replaces). */
  addSampled(sums: tf.Tensor[], step: CanaryStep): Promise<tf.Tensor[]>;
  /** Scores and secret inclusion bits, after training. */
  submission(vars: readonly tf.Tensor[]): Promise<AuditSubmission>;
}

/**
 * Refuses an audit option that is not { canaries: integer in [2, 100000], kind: 'gradient' | 'input' }.
 * @example checkAuditOptions({ canaries: 1000, kind: 'gradient' }) // passes
 */
export function checkAuditOptions(options: AuditOptions): void {
  if (options.kind !== 'gradient' && options.kind !== 'input')
    fail('invalid_argument', `audit.kind '${String(options.kind)}' is not supported; use 'gradient' or 'input'`);
  if (!(Number.isSafeInteger(options.canaries) && options.canaries >= 2))
    fail('invalid_argument', 'audit.canaries must be an integer >= 2');
  // refused here, not at close: the accountant's POST /v1/runs/{id}/audit takes at most this many (openapi.yaml
  // AuditSubmit)
  if (options.canaries > MAX_CANARIES)
    fail(
      'invalid_argument',
      `audit.canaries ${options.canaries} exceeds ${MAX_CANARIES}, the most the accountant takes`,
    );
}

/** The most canaries one audit may have (AuditSubmit's maxItems in openapi.yaml). */
export const MAX_CANARIES = 100_000;

/** Raw gradient norm of a canary before clipping: far above any clip norm, so clipping is what bounds it. */
const RAW_NORM_FACTOR = 1e3;

/** Dirac gradient canaries over a model's trainable variables. */
export class GradientCanaries implements Canaries {
  /** Per canary: the variable index and the flat offset inside it. */
  private readonly where: { v: number; offset: number }[];
  /** Secret inclusion bits. */
  private readonly included: boolean[];
  private initial: Float32Array | null = null;

  constructor(
    options: AuditOptions,
    private readonly sizes: readonly number[],
    rng: RandomSource,
  ) {
    const m = options.canaries;
    const total = sizes.reduce((a, b) => a + b, 0);
    checkAuditOptions(options);
    if (m > total)
      fail('invalid_argument', `audit.canaries ${m} exceeds the model's ${total} parameters (one coordinate each)`);
    const chosen = new Set<number>();
    while (chosen.size < m) chosen.add(uniformInt(rng, total)); // distinct coordinates, uniformly at random
    this.where = [...chosen].map((flat) => {
      let v = 0;
      let offset = flat;
      while (offset >= sizes[v]!) offset -= sizes[v++]!;
      return { v, offset };
    });
    this.included = this.where.map(() => (rng.nextUint32() & 1) === 1); // a fair coin each (secure RNG by default)
  }

  /** m. */
  get count(): number {
    return this.where.length;
  }

  get started(): boolean {
    return this.initial !== null;
  }

  /** Reads the canary coordinates' starting values (once, before the first update). */
  async start(vars: readonly tf.Tensor[]): Promise<void> {
    if (this.initial) return;
    this.initial = await this.read(vars);
  }

  private async read(vars: readonly tf.Tensor[]): Promise<Float32Array> {
    const values = await Promise.all(vars.map((v) => v.data()));
    return Float32Array.from(this.where, ({ v, offset }) => values[v]![offset]!);
  }

  /**
   * Adds the clipped gradients of the included canaries that join this step's batch (each with probability `q`,
   * Poisson, like a record) to the per-variable clipped sums; returns the new sums (disposing the old ones it
   * replaced).
   */
  async addSampled(sums: tf.Tensor[], { q, clipNorm, rng }: CanaryStep): Promise<tf.Tensor[]> {
    const raw = RAW_NORM_FACTOR * clipNorm;
    // per-example clipping of R e_j to C e_j
    const magnitude = faults.clipping ? raw * Math.min(1, clipNorm / raw) : raw;
    const deltas = new Map<number, Float32Array>();
    this.where.forEach(({ v, offset }, i) => {
      // one draw per canary, in or out: how many words a step uses (a seeded run's stream position) says nothing of the
      // bits
      const sampled = uniform53(rng) < q;
      if (!this.included[i] || !sampled) return;
      let d = deltas.get(v);
      if (!d) deltas.set(v, (d = new Float32Array(this.sizes[v]!)));
      d[offset] = d[offset]! + magnitude;
    });
    if (deltas.size === 0) return sums;
    const out = sums.map((s, v) => {
      const d = deltas.get(v);
      if (!d) return s;
      const next = tf.tidy(() => tf.add(s, tf.tensor(d, s.shape, 'float32')));
      s.dispose();
      return next;
    });
    return out;
  }

  /**
   * Scores theta_0[j] - theta_T[j] and the inclusion bits; call after training (the bits are the run's secret).
   * @example await trainer.auditSubmission() // { canary_kind: 'gradient', scores: [...], included: [...] }
   */
  async submission(vars: readonly tf.Tensor[]): Promise<AuditSubmission> {
    if (!this.initial) fail('invalid_argument', 'no step has run: there is nothing to audit');
    const now = await this.read(vars);
    return {
      canary_kind: 'gradient',
      scores: Array.from(now, (x, i) => this.initial![i]! - x),
      included: [...this.included],
    };
  }
}
