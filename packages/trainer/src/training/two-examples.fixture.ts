import * as tf from '@tensorflow/tfjs';

/**
 * The smallest batch the noise tests step with: two examples of 3 features, one-hot over 2 classes. The caller
 * disposes both tensors.
 * @example const { x, y } = twoExamples(); await trainer.step(x, y); tf.dispose([x, y]);
 */
export function twoExamples(): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = tf.tensor2d([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const y = tf.tensor2d([
    [1, 0],
    [0, 1],
  ]);
  return { x, y };
}
