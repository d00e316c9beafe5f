import * as tf from '@tensorflow/tfjs';
import { batchStats } from './batch-stats.js';
import { clipCoefficients, clipGroups } from './clipping.js';
import { clipFactors } from './heap-ops.js';
import { planModel } from './model-plan.js';
import { defaultLayerRules } from './registry.js';
import type { Clipping, LayerRuleRegistry, LossOptions } from './types.js';
import { TrainerError } from './trainer-error.js';

/** Options of {@link clipAndAccumulate}. */
export type AccumulateOptions = LossOptions & {
  clipping: Clipping;
  rules?: LayerRuleRegistry;
  microbatchSize?: number;
};

/** Clipped gradient sums (not noised, not divided), per-example pre-clip norms and the summed loss. */
export type Accumulated = {
  sums: tf.Tensor[];
  norms: tf.Tensor1D;
  lossSum: tf.Scalar;
};

function checkBatch(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor, chunk: number | undefined): void {
  if (xs.shape[0] !== ys.shape[0]) {
    throw new TrainerError('bad_input', `xs has ${xs.shape[0]} examples but ys has ${ys.shape[0]}`);
  }
  if (chunk !== undefined && (!Number.isInteger(chunk) || chunk < 1)) {
    throw new TrainerError('invalid_argument', `microbatchSize must be a positive integer, got ${chunk}`);
  }
  if (model.trainableWeights.length === 0)
    throw new TrainerError('bad_input', `model ${model.name} has no trainable weights`);
}

function chunkResult(
  model: tf.LayersModel,
  xs: tf.Tensor,
  ys: tf.Tensor,
  opts: LossOptions,
  plan: ReturnType<typeof planModel>,
  clip: ReturnType<typeof clipGroups> | null,
): Accumulated {
  const kept: tf.Tensor[] = [];
  try {
    return tf.tidy(() => {
      const stats = batchStats(model, plan, xs, ys, opts.loss, kept);
      const sq = stats.weights.map((w) => w.sqNorm);
      // on the wasm heap one pass of JavaScript (heap-ops.ts), bit for bit the tensor ops below
      const heap = clipFactors(sq, clip?.groups ?? null, clip?.clipNorms ?? []);
      const norms = heap?.norms ?? (tf.addN(sq).sqrt() as tf.Tensor1D);
      const coeffs = clip === null ? [] : (heap?.coeffs ?? clipCoefficients(sq, clip, norms));
      const sums = clip === null ? [] : stats.weights.map((w, i) => w.sum(coeffs[i] as tf.Tensor1D));
      return { sums, norms, lossSum: stats.lossSum };
    });
  } finally {
    for (const t of kept) t.dispose();
  }
}

/**
 * The per-step core of DP-SGD: each example's gradient over all trainable weights, clipped (flat or per layer),
 * summed over the batch. Sums are in `model.trainableWeights` order and are NOT noised or divided. Runs as tensor
 * ops on the active backend; `microbatchSize` splits a large batch into chunks processed one after another.
 * @example
 * const { sums, norms, lossSum } = clipAndAccumulate(model, xs, ys,
 *   { loss: 'categoricalCrossentropy', clipping: { kind: 'flat', clipNorm: 1 } });
 */
export function clipAndAccumulate(
  model: tf.LayersModel,
  xs: tf.Tensor,
  ys: tf.Tensor,
  opts: AccumulateOptions,
): Accumulated {
  return accumulate(model, xs, ys, opts, opts.clipping);
}

/** clipAndAccumulate, or with `clipping` null the norms and loss alone (no sums). */
function accumulate(
  model: tf.LayersModel,
  xs: tf.Tensor,
  ys: tf.Tensor,
  opts: Omit<AccumulateOptions, 'clipping'>,
  clipping: Clipping | null,
): Accumulated {
  checkBatch(model, xs, ys, opts.microbatchSize);
  const plan = planModel(model, opts.rules ?? defaultLayerRules(), opts);
  const clip = clipping === null ? null : clipGroups(model, plan, clipping);
  const b = xs.shape[0] ?? 0;
  if (b === 0) {
    return tf.tidy(() => ({
      sums: clip === null ? [] : model.trainableWeights.map((w) => tf.zeros(w.shape as number[])),
      norms: tf.tensor1d([]),
      lossSum: tf.scalar(0),
    }));
  }
  const chunk = Math.min(opts.microbatchSize ?? b, b);
  if (chunk === b) return chunkResult(model, xs, ys, opts, plan, clip);
  let acc: Accumulated | null = null;
  const norms: tf.Tensor1D[] = [];
  for (let start = 0; start < b; start += chunk) {
    const size = Math.min(chunk, b - start);
    const [x, y] = [xs.slice(start, size), ys.slice(start, size)];
    const part = chunkResult(model, x, y, opts, plan, clip);
    tf.dispose([x, y]);
    norms.push(part.norms);
    if (acc === null) {
      acc = part;
      continue;
    }
    const prev: Accumulated = acc;
    acc = tf.tidy(() => ({
      sums: prev.sums.map((s, i) => s.add(part.sums[i] as tf.Tensor)),
      norms: part.norms,
      lossSum: prev.lossSum.add(part.lossSum) as tf.Scalar,
    }));
    tf.dispose([...prev.sums, prev.lossSum, ...part.sums, part.lossSum]);
  }
  const done = acc as Accumulated;
  const all = tf.concat(norms) as tf.Tensor1D;
  tf.dispose(norms);
  return { sums: done.sums, norms: all, lossSum: done.lossSum };
}

/**
 * Per-example L2 norms of the gradient over all trainable weights (no clipping), read back to the CPU
 * asynchronously (webgpu in Node has no synchronous read).
 * @example await perSampleGradNorms(model, xs, ys, { loss: 'meanSquaredError' }) // Float32Array(B)
 */
export async function perSampleGradNorms(
  model: tf.LayersModel,
  xs: tf.Tensor,
  ys: tf.Tensor,
  opts: LossOptions & { rules?: LayerRuleRegistry },
): Promise<Float32Array> {
  const r = accumulate(model, xs, ys, opts, null);
  try {
    return Float32Array.from(await r.norms.data());
  } finally {
    tf.dispose([r.norms, r.lossSum]);
  }
}

/**
 * Sum over examples of each gradient scaled by min(1, C / its norm), in `model.trainableWeights` order; no noise.
 * @example const sums = clippedGradSum(model, xs, ys, { loss: 'categoricalCrossentropy', clipNorm: 1 });
 */
export function clippedGradSum(
  model: tf.LayersModel,
  xs: tf.Tensor,
  ys: tf.Tensor,
  opts: LossOptions & { clipNorm: number; rules?: LayerRuleRegistry },
): tf.Tensor[] {
  const r = clipAndAccumulate(model, xs, ys, { ...opts, clipping: { kind: 'flat', clipNorm: opts.clipNorm } });
  tf.dispose([r.norms, r.lossSum]);
  return r.sums;
}
