import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clippedGradSum, perSampleGradNorms } from './index.js';
import * as fixtures from './models.fixture.js';
import { maxNormErr, referenceClippedSum, referenceGrads, relErr } from './reference-loop.fixture.js';

const common = [fixtures.mlp, fixtures.embedding, fixtures.layerNorm, fixtures.functionalAdd,
  fixtures.conv1d, fixtures.convGhost, fixtures.depthwise, fixtures.denseSequence, fixtures.rnnFallback];
// The tanh CNN on wasm needs the MaxPoolGrad fix of src/backends (tfjs-notes.md): it joins the wasm run with it.
const byBackend = [['cpu', [fixtures.tanhCnn, ...common]], ['wasm', common]] as const;

describe.each(byBackend)('per-example gradients on %s equal a tf.variableGrads loop', (backend, cases) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
    await tf.ready();
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
    const norms = perSampleGradNorms(c.model, c.xs, c.ys, opts);
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
