import * as tf from '@tensorflow/tfjs';
import { clippedOuterSum, denseSqNorms, weightedRowSum } from '../heap-ops.js';
import type { LayerRule } from '../types.js';
import { biasStat, statsInLayerOrder, weightOf, type LayerWeight, type WeightStat } from './weights.js';

/** Batched A B^T (the flag, not a materialised transpose: the wasm BatchMatMul kernel chooses how to run it). */
export function matMulBT(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return tf.matMul(a, b, false, true);
}

/**
 * Dense: z = a W + b over the last axis. Per example with a single position, |grad W|^2 = |a|^2 |g|^2
 * (Goodfellow 2015; Lee & Kifer 2021); with T positions, ghost norm sum_{t,s} (a_t.a_s)(g_t.g_s) (Li et al. 2022)
 * when T^2 (in + out) < T in out, else the materialised a_i^T g_i.
 */
export function denseRule(): LayerRule {
  return {
    preActivation(layer, input) {
      const kernel = (weightOf(layer, 'kernel') as LayerWeight).read();
      const [inDim, units] = kernel.shape as [number, number];
      const lead = input.shape.slice(0, -1);
      let z = input.reshape([-1, inDim]).matMul(kernel);
      const bias = weightOf(layer, 'bias');
      if (layer['useBias'] !== false && bias !== null) z = z.add(bias.read());
      return z.reshape([...lead, units]);
    },
    perSample(layer, input, gradPre) {
      const b = input.shape[0] ?? 0;
      const inDim = input.shape[input.rank - 1] ?? 0;
      const units = gradPre.shape[gradPre.rank - 1] ?? 0;
      const t = b === 0 ? 1 : input.size / (b * inDim);
      const stats = new Map<LayerWeight | null, WeightStat>();
      if (t === 1) {
        const [kernel, bias] = singlePosition(input, gradPre, b, inDim, units);
        stats.set(weightOf(layer, 'kernel'), kernel);
        stats.set(weightOf(layer, 'bias'), bias);
      } else {
        stats.set(weightOf(layer, 'kernel'), multiPosition(input, gradPre, b, t, inDim, units));
        stats.set(weightOf(layer, 'bias'), biasStat(gradPre));
      }
      return statsInLayerOrder(layer, stats);
    },
  };
}

/**
 * Kernel and bias statistics at a single position: the per-example bias gradient is g itself, |g|^2 shared. On the
 * wasm heap with the native addon (heap-ops.ts) each statistic is one call instead of three to seven tensor ops.
 */
function singlePosition(
  input: tf.Tensor,
  gradPre: tf.Tensor,
  b: number,
  inDim: number,
  units: number,
): [WeightStat, WeightStat] {
  const a = (): tf.Tensor2D => input.reshape([b, inDim]);
  const g = (): tf.Tensor2D => gradPre.reshape([b, units]);
  const kernelSum = (c: tf.Tensor1D): tf.Tensor =>
    clippedOuterSum(input, gradPre, c) ?? tf.matMul(a(), g().mul(c.reshape([b, 1])), true); // a^T diag(c) g
  const biasSum = (c: tf.Tensor1D): tf.Tensor =>
    weightedRowSum(gradPre, c) ?? c.reshape([1, b]).matMul(g()).reshape([units]); // sum_i c_i g_i
  const heap = denseSqNorms(input, gradPre);
  if (heap !== null)
    return [
      { sqNorm: heap[0], sum: kernelSum },
      { sqNorm: heap[1], sum: biasSum },
    ];
  const gSq = g().square().sum(1) as tf.Tensor1D;
  return [
    { sqNorm: a().square().sum(1).mul(gSq) as tf.Tensor1D, sum: kernelSum }, // |a g^T|_F^2 = |a|^2 |g|^2
    { sqNorm: gSq, sum: biasSum },
  ];
}

function multiPosition(
  input: tf.Tensor,
  gradPre: tf.Tensor,
  b: number,
  t: number,
  inDim: number,
  units: number,
): WeightStat {
  const a = input.reshape([b, t, inDim]) as tf.Tensor3D;
  const g = gradPre.reshape([b, t, units]) as tf.Tensor3D;
  const ghost = t * t * (inDim + units) < t * inDim * units;
  // Ghost norm: |sum_t a_t g_t^T|_F^2 = sum_{t,s} (a_t . a_s)(g_t . g_s) (Li et al. 2022, Bu et al. 2022).
  const sqNorm = ghost
    ? (matMulBT(a, a).mul(matMulBT(g, g)).sum([1, 2]) as tf.Tensor1D)
    : (tf.matMul(a, g, true).square().sum([1, 2]) as tf.Tensor1D);
  return {
    sqNorm,
    sum: (c) => tf.matMul(a.reshape([b * t, inDim]), g.mul(c.reshape([b, 1, 1])).reshape([b * t, units]), true),
  };
}
