/** Test support: the reference per-example gradients (one tf.variableGrads per example), accumulated in float64. */
import * as tf from '@tensorflow/tfjs';

/** One loss value per example, written independently of losses.ts with tfjs' own metrics. */
export type RefLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

export interface Reference {
  norms: number[];
  /** Per example, per weight (model.trainableWeights order), flattened gradient in float64. */
  grads: Float64Array[][];
  lossSum: number;
}

/** Per-example gradients by a loop over examples on the active backend, reading the model through model.apply. */
export function referenceGrads(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor, loss: RefLoss): Reference {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const grads: Float64Array[][] = [];
  let lossSum = 0;
  for (let i = 0; i < (xs.shape[0] ?? 0); i += 1) {
    const { value, grads: g } = tf.variableGrads(() => {
      const out = model.apply(xs.slice(i, 1), { training: true }) as tf.Tensor;
      return loss(ys.slice(i, 1), out).sum() as tf.Scalar;
    }, vars);
    lossSum += value.dataSync()[0] ?? NaN;
    grads.push(vars.map((v) => Float64Array.from(g[v.name]?.dataSync() ?? [])));
    tf.dispose([value, ...Object.values(g)]);
  }
  const norms = grads.map((perW) => Math.sqrt(perW.reduce((s, a) => s + a.reduce((t, x) => t + x * x, 0), 0)));
  return { norms, grads, lossSum };
}

/** Sum over examples of gradients scaled per group by min(1, C_g / |grad_g|); groups index weights. */
export function referenceClippedSum(ref: Reference, groups: number[][], clipNorms: number[]): Float64Array[] {
  const nW = ref.grads[0]?.length ?? 0;
  const sums = Array.from({ length: nW }, (_, w) => new Float64Array(ref.grads[0]?.[w]?.length ?? 0));
  for (const perW of ref.grads) {
    groups.forEach((group, gi) => {
      const norm = Math.sqrt(group.reduce((s, w) => s + (perW[w] as Float64Array).reduce((t, x) => t + x * x, 0), 0));
      const c = Math.min(1, (clipNorms[gi] as number) / norm);
      for (const w of group) {
        const acc = sums[w] as Float64Array;
        (perW[w] as Float64Array).forEach((x, j) => {
          acc[j] = (acc[j] ?? 0) + c * x;
        });
      }
    });
  }
  return sums;
}

/** |a - b|_2 / |b|_2 in float64. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i += 1) {
    num += ((a[i] ?? NaN) - (b[i] ?? 0)) ** 2;
    den += (b[i] ?? 0) ** 2;
  }
  return Math.sqrt(num) / Math.sqrt(den);
}

/** Worst relative error of per-example norms. */
export function maxNormErr(ours: ArrayLike<number>, ref: number[]): number {
  return Math.max(...ref.map((r, i) => Math.abs((ours[i] ?? NaN) - r) / r));
}
