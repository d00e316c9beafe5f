/**
 * Browser harness for the GPU code paths: the trainer's clipped gradient sums for a small MLP and a small
 * CNN with fixed weights and inputs, computed on `cpu` and then on `webgl` or `webgpu` in the same page. Bundled by
 * `vite.config.ts` and driven by test/browser-webgl.test.ts and test/browser-webgpu.test.ts in headless Chromium.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu'; // registers 'webgpu' where navigator.gpu exists
import { useBackend } from '../src/backends/use-backend.js';
import { clippedGradSum, perSampleGradNorms } from '../src/per-sample/index.js';

/** One model's results on one backend. */
export interface BackendRun {
  backend: string;
  norms: number[];
  sums: number[][];
}

/** One model's results on both backends. */
export interface ModelRun {
  name: string;
  clipNorm: number;
  shapes: number[][];
  cpu: BackendRun;
  gpu: BackendRun;
}

/** What the page returns to the test. */
export interface HarnessResult {
  activeBackend: string;
  /** webgl only (webgpu is always float32). */
  float32Textures: boolean;
  /** Programs (webgl) or pipelines (webgpu) compiled while the harness ran: > 0 proves shaders did the work. */
  shaderPrograms: number;
  renderer: string;
  models: ModelRun[];
}

const BATCH = 12;
const seeded = (seed: number) => tf.initializers.glorotNormal({ seed });

function mlp(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [20], units: 16, activation: 'tanh', kernelInitializer: seeded(1) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: seeded(2) }),
    ],
  });
}

/** A reduced tanh CNN in the shape of Papernot et al. 2020: conv s2 -> tanh -> maxpool 2 s1, twice, then dense. */
function cnn(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [12, 12, 1],
        filters: 4,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        activation: 'tanh',
        kernelInitializer: seeded(3),
      }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
      tf.layers.conv2d({ filters: 6, kernelSize: 2, strides: 2, activation: 'tanh', kernelInitializer: seeded(4) }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 8, activation: 'tanh', kernelInitializer: seeded(5) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: seeded(6) }),
    ],
  });
}

/** Deterministic inputs: a smooth pattern, different per example. */
function inputs(shape: number[]): tf.Tensor {
  const size = shape.reduce((p, q) => p * q);
  return tf.tensor(
    Float32Array.from({ length: size }, (_, i) => Math.sin(0.37 * i) + 0.5 * Math.cos(1.3 * i)),
    shape,
  );
}

function labels(): tf.Tensor {
  return tf.oneHot(
    tf.tensor1d(
      Array.from({ length: BATCH }, (_, i) => (3 * i) % 10),
      'int32',
    ),
    10,
  );
}

async function runOn(
  backend: string,
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  clipNorm: number,
): Promise<BackendRun> {
  const norms = Array.from(await perSampleGradNorms(model, x, y, { loss: 'categoricalCrossentropy' }));
  const sums = clippedGradSum(model, x, y, { loss: 'categoricalCrossentropy', clipNorm });
  const values = await Promise.all(sums.map(async (s) => Array.from(await s.data())));
  tf.dispose(sums);
  return { backend, norms, sums: values };
}

function rendererName(): string {
  const gl = document.createElement('canvas').getContext('webgl2');
  const info = gl?.getExtension('WEBGL_debug_renderer_info');
  return gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : 'unknown';
}

/**
 * Runs the comparison: cpu first (which also fixes each model's clip norm at its median per-example norm, so
 * that some examples are clipped and some are not), then `target` (webgl or webgpu), which stays the active backend.
 *
 * @example
 * const result = await runHarness('webgl'); // result.activeBackend === 'webgl'
 */
export async function runHarness(target: 'webgl' | 'webgpu' = 'webgl'): Promise<HarnessResult> {
  if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to initialise');
  const cases = [
    { name: 'mlp', model: mlp(), x: inputs([BATCH, 20]), y: labels() },
    { name: 'cnn', model: cnn(), x: inputs([BATCH, 12, 12, 1]), y: labels() },
  ];
  const partial = await Promise.all(
    cases.map(async ({ name, model, x, y }) => {
      const norms = await perSampleGradNorms(model, x, y, { loss: 'categoricalCrossentropy' });
      const clipNorm = Float32Array.from(norms).sort()[Math.floor(norms.length / 2)]!;
      return {
        name,
        clipNorm,
        shapes: model.trainableWeights.map((w) => w.shape as number[]),
        cpu: await runOn('cpu', model, x, y, clipNorm),
      };
    }),
  );
  // Small tensors would otherwise be computed by the backend's cpu fallback, not by shaders.
  tf.env().set(target === 'webgl' ? 'WEBGL_CPU_FORWARD' : 'WEBGPU_CPU_FORWARD', false);
  // useBackend('webgpu') finds the adapter and registers the chunked AddN (tfjs 4.22's is silently wrong past 7 inputs)
  if (target === 'webgpu') await useBackend('webgpu');
  else if (!(await tf.setBackend(target))) throw new Error(`${target} backend failed to initialise`);
  const models = [];
  for (const [i, p] of partial.entries()) {
    const { model, x, y } = cases[i]!;
    models.push({ ...p, gpu: await runOn(tf.getBackend(), model, x, y, p.clipNorm) });
  }
  const b = tf.backend() as unknown as { binaryCache?: object; pipelineCache?: object; adapterInfo?: object };
  return {
    activeBackend: tf.getBackend(),
    float32Textures: target === 'webgl' ? tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') : true,
    shaderPrograms: Object.keys((target === 'webgl' ? b.binaryCache : b.pipelineCache) ?? {}).length,
    renderer: target === 'webgl' ? rendererName() : JSON.stringify(b.adapterInfo ?? {}),
    models,
  };
}
