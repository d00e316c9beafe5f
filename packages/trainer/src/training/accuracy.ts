/** Held-out evaluation (validation data is not training data: it costs no privacy budget here). */
import * as tf from '@tensorflow/tfjs';

/**
 * Top-1 accuracy of `model` on (x, y), labels one-hot [n, k] or class indices [n]; evaluated in chunks of 1,000.
 * @example accuracy(model, xTest, yTest) // 0.85
 */
export function accuracy(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): number {
  const n = x.shape[0] ?? 0;
  let correct = 0;
  for (let from = 0; from < n; from += 1000) {
    const size = Math.min(1000, n - from);
    correct += tf.tidy(() => {
      const pred = (model.predict(x.slice(from, size)) as tf.Tensor).argMax(-1);
      const ys = y.slice(from, size);
      const truth = ys.rank > 1 ? ys.argMax(-1) : ys.toInt();
      return pred.equal(truth).sum().dataSync()[0]!;
    });
  }
  return n === 0 ? NaN : correct / n;
}
