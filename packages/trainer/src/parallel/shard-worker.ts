/**
 * A shard worker: a tfjs instance of its own (the main thread's backend, wasm or cpu) holding a copy of the model.
 * Each request: copy the published weights in, then for each chunk of its range the same clipAndAccumulate the
 * main thread would run, returned per chunk (the main thread sums every chunk in order). It draws no randomness.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { useBackend, type BackendName } from '../backends/use-backend.js';
import { clipAndAccumulate } from '../per-sample/accumulate.js';
import { TrainerError } from '../per-sample/trainer-error.js';
import type { ChunkResult, ShardInit, ShardReply, ShardRequest, SlabTensor } from './shard-protocol.js';
import { copyTensorInto, viewOf } from './tensor-copy.js';

const init = workerData as ShardInit;
const port = parentPort!;
const send = (m: ShardReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const errorOf = (e: unknown) => ({
  code: e instanceof TrainerError ? e.code : 'worker_error',
  message: e instanceof Error ? e.message : String(e),
});

async function load(): Promise<tf.LayersModel> {
  await useBackend(init.backend as BackendName);
  const model = await tf.models.modelFromJSON({
    modelTopology: JSON.parse(init.topology) as tf.io.ModelJSON['modelTopology'],
  });
  const shapes = model.weights.map((w) => w.shape.join('x')).join(',');
  const trainable = model.trainableWeights.map((w) => model.weights.indexOf(w)).join(',');
  if (shapes !== init.weightShapes.map((s) => s.join('x')).join(',') || trainable !== init.trainable.join(',')) {
    throw new TrainerError('unsupported_layer', 'the model rebuilt from its JSON has other weights than the original');
  }
  return model;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A tensor of the slab's values (copied into this thread's tfjs). */
function tensorOf(d: SlabTensor): tf.Tensor {
  return tf.tensor(viewOf(d.dtype, d.buffer, d.byteOffset, size(d.shape)), d.shape, d.dtype);
}

/** Writes the published weights into the model's variables. */
function setWeights(model: tf.LayersModel): void {
  const all = new Float32Array(init.weights);
  let at = 0;
  model.weights.forEach((w, i) => {
    const shape = init.weightShapes[i]!;
    const n = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(all.subarray(at, at + n), shape, 'float32');
    w.write(t);
    t.dispose();
    at += n;
  });
}

async function run(model: tf.LayersModel, req: ShardRequest): Promise<ChunkResult[]> {
  setWeights(model);
  const [xs, ys] = [tensorOf(req.x), tensorOf(req.y)];
  const out: ChunkResult[] = [];
  const sums = new Float32Array(req.sums);
  const params = init.trainable.reduce((a, i) => a + size(init.weightShapes[i]!), 0);
  try {
    for (const [j, [from, to]] of req.chunks.entries()) {
      const [x, y] = [xs.slice(from, to - from), ys.slice(from, to - from)];
      const r = clipAndAccumulate(model, x, y, {
        loss: init.loss,
        fromLogits: init.fromLogits,
        clipping: req.clipping,
      });
      let at = j * params;
      for (const s of r.sums) {
        copyTensorInto(s, sums, at);
        at += s.size;
      }
      out.push({ norms: Float32Array.from(r.norms.dataSync()), lossSum: r.lossSum.dataSync()[0]! });
      tf.dispose([x, y, r.sums, r.norms, r.lossSum]);
    }
  } finally {
    tf.dispose([xs, ys]);
  }
  return out;
}

try {
  const model = await load();
  port.on('message', (req: ShardRequest) => {
    if (req.exit) process.exit(1);
    run(model, req).then(
      (results) =>
        send(
          { id: req.id, results },
          results.map((r) => r.norms.buffer as ArrayBuffer),
        ),
      (e: unknown) => send({ id: req.id, error: errorOf(e) }),
    );
  });
  send({ ready: true });
} catch (e) {
  send({ id: null, error: errorOf(e) });
}
