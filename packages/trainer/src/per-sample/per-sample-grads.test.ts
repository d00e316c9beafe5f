import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useBackend } from '../backends/index.js';
import { clippedGradSum, perSampleGradNorms } from './index.js';
import * as fixtures from './models.fixture.js';
import { maxNormErr, referenceClippedSum, referenceGrads, relErr } from './reference-loop.fixture.js';

const cases = [
  fixtures.mlp,
  fixtures.tanhCnn,
  fixtures.embedding,
  fixtures.layerNorm,
  fixtures.functionalAdd,
  fixtures.nestedModel,
  fixtures.sharedLayer,
  fixtures.conv1d,
  fixtures.convCrop,
  fixtures.convGhost,
  fixtures.depthwise,
  fixtures.denseSequence,
  fixtures.rnnFallback,
];
// useBackend('wasm') registers src/backends' fixes: without the MaxPoolGrad one the tanh CNN fails on wasm.
describe.each(['cpu', 'wasm'] as const)('per-example gradients on %s equal a tf.variableGrads loop', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  afterAll(() => vi.restoreAllMocks());

  it.each(cases.map((make) => [make.name, make] as const))('%s', async (_, make) => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const c = make();
    // The reference always runs on cpu (wasm 4.22 lacks some gradient kernels): wasm is checked against cpu.
    await tf.setBackend('cpu');
    const ref = referenceGrads(c.model, c.xs, c.ys, c.ref);
    await tf.setBackend(backend);
    const opts = { loss: c.loss, ...(c.fromLogits === undefined ? {} : { fromLogits: c.fromLogits }) };
    const norms = await perSampleGradNorms(c.model, c.xs, c.ys, opts);
    expect(maxNormErr(norms, ref.norms)).toBeLessThan(1e-5);
    // Threshold at the median norm: some examples are clipped, others are not.
    const clipNorm = [...ref.norms].sort((a, b) => a - b)[Math.floor(ref.norms.length / 2)] as number;
    const sums = clippedGradSum(c.model, c.xs, c.ys, { ...opts, clipNorm });
    const want = referenceClippedSum(ref, [c.model.trainableWeights.map((_w, i) => i)], [clipNorm]);
    sums.forEach((s, i) => {
      expect(s.shape).toEqual(c.model.trainableWeights[i]?.shape);
      expect(relErr(s.dataSync(), want[i] as Float64Array)).toBeLessThan(1e-5);
    });
    tf.dispose(sums);
  });
});
