/** Held-out evaluation (validation data is not training data: it costs no privacy budget here). */
import * as tf from '@tensorflow/tfjs';

/**
 * Top-1 accuracy of `model` on (x, y), labels one-hot [n, k] or class indices [n]; evaluated in chunks of 1,000,
 * with one asynchronous read at the end (no synchronous read: webgpu in Node has none).
 * @example await accuracy(model, xTest, yTest) // 0.85
 */
export async function accuracy(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<number> {
  const n = x.shape[0] ?? 0;
  if (n === 0) return NaN;
  let correct: tf.Scalar = tf.scalar(0, 'int32');
  for (let from = 0; from < n; from += 1000) {
    const size = Math.min(1000, n - from);
    const next = tf.tidy(() => {
      const pred = (model.predict(x.slice(from, size)) as tf.Tensor).argMax(-1);
      const ys = y.slice(from, size);
      const truth = ys.rank > 1 ? ys.argMax(-1) : ys.toInt();
      return correct.add(pred.equal(truth).sum()) as tf.Scalar;
    });
    correct.dispose();
    correct = next;
  }
  const count = (await correct.data())[0]!;
  correct.dispose();
  return count / n;
}
