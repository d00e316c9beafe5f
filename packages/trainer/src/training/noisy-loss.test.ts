import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DPTrainer, type ReservationClient } from '@dpledger/trainer';
import { RdpAccountant, type DpEvent } from '@dpledger/accounting';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function setup(n: number, extra: Record<string, unknown> = {}) {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 3, activation: 'tanh', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 2, kernelInitializer: init(2) }),
    ],
  });
  const xs = tf.randomUniform([n, 4], -1, 1, 'float32', 3);
  const ys = tf.oneHot(tf.randomUniform([n], 0, 2, 'int32', 4), 2).toFloat();
  const options = {
    model,
    loss: 'categoricalCrossentropy' as const,
    fromLogits: true,
    optimizer: { kind: 'sgd' as const, learningRate: 0.1 },
    clipNorm: 1,
    noiseMultiplier: 1,
    expectedBatchSize: 8,
    datasetSize: n,
    ...extra,
  };
  return { xs, ys, options };
}

const step = (q: number, sigma: number): DpEvent => ({
  kind: 'poisson_sampled',
  sampling_probability: q,
  event: { kind: 'gaussian', noise_multiplier: sigma },
});

describe('fit noisyLoss (opt-in, noised and accounted)', () => {
  it('logs poisson_sampled(q, gaussian(sigma_L)) per estimate in the same ledger; epsilon includes it', async () => {
    const { xs, ys, options } = setup(64);
    const t = new DPTrainer(options);
    const seen: { step: number; loss: number }[] = [];
    const h = await t.fit(xs, ys, {
      steps: 4,
      noisyLoss: { every: 2, noiseMultiplier: 3, clip: 5 },
      callbacks: { onNoisyLoss: (e) => void seen.push(e) },
    });
    expect(h.noisyLoss.map((e) => e.step)).toEqual([2, 4]);
    expect(seen).toEqual(h.noisyLoss);
    for (const e of h.noisyLoss) expect(Number.isFinite(e.loss)).toBe(true);
    const q = 8 / 64;
    const s = { kind: 'self_composed', count: 2, event: step(q, 1) };
    const l = step(q, 3);
    expect(t.ledger).toEqual({ kind: 'composed', events: [s, l, s, l] });
    const expected = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' })
      .compose(step(q, 1), 4)
      .compose(l, 2)
      .getEpsilon(1e-5);
    expect(t.epsilon(1e-5)).toBeCloseTo(expected, 10);
  });

  it('with q = 1 and negligible noise the estimate is the mean loss clipped to [0, clip]', async () => {
    const { xs, ys, options } = setup(16, { expectedBatchSize: 16 });
    const t = new DPTrainer(options);
    const h = await t.fit(xs, ys, { steps: 1, noisyLoss: { every: 1, noiseMultiplier: 1e-9, clip: 0.05 } });
    // every cross-entropy of this untrained 2-class model is above 0.05, so each clipped loss is exactly 0.05
    expect(h.noisyLoss[0]!.loss).toBeCloseTo(0.05, 6);
  });

  it('is accounted BEFORE it is computed: a remote refusal releases no estimate and stops training', async () => {
    const { xs, ys, options } = setup(64);
    const calls: string[] = [];
    const client: ReservationClient = {
      async reserve(_runId, body) {
        const sigma = (body.event as { event: { noise_multiplier: number } }).event.noise_multiplier;
        calls.push(`reserve sigma ${sigma}`);
        if (sigma === 3) throw Object.assign(new Error('budget exhausted'), { code: 'budget_exhausted', status: 409 });
        return {
          id: `r${calls.length}`,
          steps: body.steps,
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        };
      },
      async commit(id, used) {
        calls.push(`commit ${id} ${used}`);
      },
    };
    const t = new DPTrainer({ ...options, accountant: { client, runId: 'run-1', reserveSteps: 1 } });
    const h = await t.fit(xs, ys, { steps: 4, noisyLoss: { every: 2, noiseMultiplier: 3, clip: 5 } });
    expect(h.noisyLoss).toEqual([]);
    expect(h.stopped).toEqual({ reason: 'budget_exhausted', atStep: 2 });
    expect(t.ledger).toEqual({
      kind: 'composed',
      events: [{ kind: 'self_composed', count: 2, event: step(8 / 64, 1) }],
    });
  });

  it('is refused with shuffle batching and with bad options', async () => {
    const { xs, ys, options } = setup(64);
    const shuffled = new DPTrainer({ ...options, sampler: 'shuffle' });
    await expect(
      shuffled.fit(xs, ys, { steps: 1, noisyLoss: { every: 1, noiseMultiplier: 1, clip: 1 } }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
    const t = new DPTrainer(options);
    for (const bad of [
      { every: 0, noiseMultiplier: 1, clip: 1 },
      { every: 1, noiseMultiplier: 0, clip: 1 },
      { every: 1, noiseMultiplier: 1, clip: Number.NaN },
    ]) {
      await expect(t.fit(xs, ys, { steps: 1, noisyLoss: bad })).rejects.toMatchObject({ code: 'invalid_argument' });
    }
    expect(t.stepCount).toBe(0);
  });
});
