// Needs the GPU stack: the `webgpu` package (Dawn) and a Vulkan driver (CI: SwiftShader from chromium + libvulkan1).
// A missing adapter fails these tests: they never skip.
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DPTrainer, TrainerError, useBackend, type DPTrainerOptions, type StepResult } from '@dpledger/trainer';

const SEED = '000102030405060708090a0b0c0d0e0f';

function setup(extra: Partial<DPTrainerOptions> = {}) {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [6], units: 8, activation: 'tanh', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 8, activation: 'tanh', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 3, kernelInitializer: init(3) }),
    ],
  });
  const xs = tf.randomUniform([48, 6], -1, 1, 'float32', 4);
  const ys = tf.oneHot(tf.randomUniform([48], 0, 3, 'int32', 5), 3).toFloat();
  const trainer = new DPTrainer({
    model,
    loss: 'categoricalCrossentropy',
    fromLogits: true,
    optimizer: { kind: 'momentum', learningRate: 0.2, momentum: 0.5 },
    clipNorm: 1,
    noiseMultiplier: 0.5,
    expectedBatchSize: 8,
    datasetSize: 48,
    seed: SEED,
    ...extra,
  });
  return { model, xs, ys, trainer };
}

async function weights(model: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.trainableWeights.map(async (w) => Float32Array.from(await w.read().data())));
}

type Backend = { submitQueue(): void; device: { createBuffer(d: object): unknown; destroy(): void } };
const backend = () => tf.backend() as unknown as Backend;

/** Runs `fault` once, inside the next GPU submission of the active webgpu backend. */
function injectAtNextSubmit(fault: (b: Backend) => void): void {
  const b = backend();
  const submit = b.submitQueue.bind(b);
  let armed = true;
  b.submitQueue = () => {
    if (armed) {
      armed = false;
      fault(b);
    }
    submit();
  };
}

describe('DPTrainer on webgpu', () => {
  beforeAll(async () => {
    expect(await useBackend('webgpu')).toBe('webgpu');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => {
    await useBackend('cpu');
  });

  it('20-step fit: cpu losses to 1e-3, finite weights, one async read per step (requested private loss)', async () => {
    await tf.setBackend('cpu');
    const cpu = setup({ privateLoss: true });
    const want = await cpu.trainer.fit(cpu.xs, cpu.ys, { steps: 20 });
    await tf.setBackend('webgpu');
    const gpu = setup({ privateLoss: true });
    const read = vi.spyOn(tf.engine(), 'read');
    const readSync = vi.spyOn(tf.engine(), 'readSync');
    const got = await gpu.trainer.fit(gpu.xs, gpu.ys, { steps: 20 });
    expect(readSync).not.toHaveBeenCalled();
    expect(read).toHaveBeenCalledTimes(20);
    expect(got.private.batchSizes).toEqual(want.private.batchSizes);
    got.private.loss.forEach((l, i) => expect(Math.abs(l - want.private.loss[i]!)).toBeLessThan(1e-3));
    const w = await weights(gpu.model);
    expect(w.every((a) => a.every(Number.isFinite))).toBe(true);
    const ref = await weights(cpu.model);
    w.forEach((a, i) => a.forEach((v, j) => expect(Math.abs(v - ref[i]![j]!)).toBeLessThan(1e-3)));
  }, 180_000); // SwiftShader runs the shaders on CPU cores other test files share

  it('with the default options a step reads nothing back from the device', async () => {
    const gpu = setup();
    const read = vi.spyOn(tf.engine(), 'read');
    const readSync = vi.spyOn(tf.engine(), 'readSync');
    const got = await gpu.trainer.fit(gpu.xs, gpu.ys, { steps: 3 });
    expect(got.steps).toBe(3);
    expect(readSync).not.toHaveBeenCalled();
    expect(read).not.toHaveBeenCalled();
    expect((await weights(gpu.model)).every((a) => a.every(Number.isFinite))).toBe(true);
  }, 120_000);

  it('GPU validation error in a step throws gpu_error before the update and before the step is reported', async () => {
    const { model, xs, ys, trainer } = setup();
    await trainer.step(xs.slice(0, 4), ys.slice(0, 4));
    const before = await weights(model);
    const usage = (globalThis as unknown as { GPUBufferUsage: Record<string, number> }).GPUBufferUsage;
    injectAtNextSubmit((b) => b.device.createBuffer({ size: 16, usage: usage.MAP_READ! | usage.STORAGE! }));
    const onStep = vi.fn<(r: StepResult) => void>();
    const e = await trainer.fit(xs, ys, { steps: 3, callbacks: { onStep } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TrainerError);
    expect((e as TrainerError).code).toBe('gpu_error');
    expect(onStep).not.toHaveBeenCalled();
    expect(trainer.stepCount).toBe(1);
    expect(await weights(model)).toEqual(before);
    const r = await trainer.step(xs.slice(0, 4), ys.slice(0, 4)); // the device is still usable
    expect(r.applied).toBe(true);
  });

  it('a device destroyed inside a step throws gpu_error, and the step is not counted', async () => {
    const { xs, ys, trainer } = setup();
    injectAtNextSubmit((b) => b.device.destroy());
    const e = await trainer.step(xs, ys).catch((x: unknown) => x);
    expect((e as TrainerError).code).toBe('gpu_error');
    expect(trainer.stepCount).toBe(0);
    const again = await trainer.step(xs, ys).catch((x: unknown) => x);
    expect((again as TrainerError).code).toBe('gpu_error'); // still lost: never silently stale
    expect(await useBackend('webgpu')).toBe('webgpu'); // a new device
  });
});
