/** Turns a loaded IDX split into model inputs. */
import * as tf from '@tensorflow/tfjs';
import type { IdxDataset } from './load-idx.js';

/**
 * Images as [count, rows, cols, 1] (`layout: 'image'`, for CNNs) or [count, rows * cols] (`'flat'`, for MLPs), and
 * labels one-hot [count, classes].
 * @example const { xs, ys } = toTensors(await loadIdx(dir, { split: 'train' }), { layout: 'image' });
 */
export function toTensors(
  data: IdxDataset,
  opts: { layout: 'image' | 'flat'; classes?: number },
): { xs: tf.Tensor; ys: tf.Tensor2D } {
  const classes = opts.classes ?? 10;
  const shape = opts.layout === 'image' ? [data.count, data.rows, data.cols, 1] : [data.count, data.rows * data.cols];
  const xs = tf.tensor(data.images, shape, 'float32');
  const ys = tf.tidy(
    () => tf.oneHot(tf.tensor1d(Int32Array.from(data.labels), 'int32'), classes).toFloat() as tf.Tensor2D,
  );
  return { xs, ys };
}
