// Needs the GPU stack: the `webgpu` package (Dawn) and a Vulkan driver (CI: SwiftShader from chromium + libvulkan1).
// A missing adapter fails these tests: they never skip. Small batches: SwiftShader runs the shaders on the CPU.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useBackend } from '../backends/index.js';
import { clippedGradSum, perSampleGradNorms } from './index.js';
import * as fixtures from './models.fixture.js';
import { maxNormErr, referenceClippedSum, referenceGrads, relErr } from './reference-loop.fixture.js';

/** MLP 6-5-5-5-5-3 (tanh): 10 weight tensors, so the per-example squared norms are summed by an AddN of 10. */
function deepMlp(b = 5): fixtures.Case {
  const c = fixtures.mlp(b);
  const layers = [6, 5, 5, 5, 5].map((_, i) =>
    tf.layers.dense({
      units: i === 4 ? 4 : 5,
      activation: i === 4 ? 'softmax' : 'tanh',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 40 + i }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: 50 + i }),
      ...(i === 0 ? { inputShape: [6] } : {}),
    }),
  );
  return { ...c, name: 'MLP with 10 weight tensors', model: tf.sequential({ layers }) };
}

const cases = [
  ['MLP', fixtures.mlp],
  ['tanh CNN (8 weight tensors)', fixtures.tanhCnn],
  ['MLP with 10 weight tensors', deepMlp],
] as const;

describe('per-example gradients on webgpu equal the cpu per-example loop', () => {
  beforeAll(async () => {
    expect(await useBackend('webgpu')).toBe('webgpu');
    // small tensors would otherwise run on tfjs's cpu fallback, not in shaders
    tf.env().set('WEBGPU_CPU_FORWARD', false);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await useBackend('cpu');
  });

  it.each(cases)('%s', async (_, make) => {
    await tf.setBackend('cpu');
    const c = make();
    const ref = referenceGrads(c.model, c.xs, c.ys, c.ref);
    await tf.setBackend('webgpu');
    expect(c.model.trainableWeights.length).toBeGreaterThanOrEqual(4);
    const norms = await perSampleGradNorms(c.model, c.xs, c.ys, { loss: c.loss });
    expect(maxNormErr(norms, ref.norms)).toBeLessThan(1e-4);
    const clipNorm = [...ref.norms].sort((a, b) => a - b)[Math.floor(ref.norms.length / 2)] as number;
    const sums = clippedGradSum(c.model, c.xs, c.ys, { loss: c.loss, clipNorm });
    const want = referenceClippedSum(ref, [c.model.trainableWeights.map((_w, i) => i)], [clipNorm]);
    for (const [i, s] of sums.entries()) expect(relErr(await s.data(), want[i] as Float64Array)).toBeLessThan(1e-4);
    tf.dispose(sums);
  });
});
