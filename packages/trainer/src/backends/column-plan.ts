import * as tf from '@tensorflow/tfjs';

/** Largest column block, in floats (64 MiB); bigger problems are split along the batch x position axis. */
export const MAX_BLOCK_FLOATS = 16 * 1024 * 1024;

/** What the im2col kernels (Conv2DBackpropFilter, Conv2DBackpropInput) share about one channels-last convolution. */
export interface ColumnPlan {
  info: tf.backend_util.Conv2DInfo;
  padTop: number;
  padLeft: number;
  /** Length of one column: filterHeight x filterWidth x inChannels. */
  k: number;
  /** Output positions (b, oh, ow), row-major: batchSize x outHeight x outWidth. */
  n: number;
  /** Positions per block, so that a block of columns or of dy rows holds at most maxBlockFloats floats. */
  block: number;
}

/**
 * The column geometry of a channels-last Conv2D with input `xShape` and filter `filterShape` (dilation 1 as the
 * backprop kernels' attributes allow; Chellapilla et al. 2006 for the im2col layout).
 * @example columnPlan([2, 12, 12, 3], [5, 5, 3, 4], { strides: 2, pad: 'same' }).k // 75
 */
export function columnPlan(
  xShape: readonly number[],
  filterShape: readonly number[],
  a: Pick<tf.Conv2DBackpropFilterAttrs, 'strides' | 'pad' | 'dimRoundingMode'>,
  maxBlockFloats = MAX_BLOCK_FLOATS,
): ColumnPlan {
  const info = tf.backend_util.computeConv2DInfo(
    [...xShape] as [number, number, number, number],
    [...filterShape] as [number, number, number, number],
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const n = info.batchSize * info.outHeight * info.outWidth;
  const block = Math.max(1, Math.min(n, Math.floor(maxBlockFloats / Math.max(k, info.outChannels))));
  return { info, padTop: info.padInfo.top, padLeft: info.padInfo.left, k, n, block };
}
