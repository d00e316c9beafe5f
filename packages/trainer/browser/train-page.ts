/**
 * The accountant's `/train` page (served by services/accountant/src/train/): DP-SGD on the tanh CNN in the browser.
 * The data is read from files the user picks (or the shipped Fashion-MNIST sample) and never leaves the page. The
 * page asks its own server (with the dashboard session) for a run and a run-scoped token, then every step is
 * reserved and committed through @dpledger/client with that token, never a tenant API key. Randomness is the
 * trainer's default: crypto.getRandomValues. At the end the run is closed and the dashboard's run page is linked.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { formatEpsilon } from '@dpledger/accounting';
import { DpledgerApiError, createClient, type Problem } from '@dpledger/client';
import { parseIdx } from '../src/data/idx.js';
import { registerWasmFixes } from '../src/backends/wasm-fixes.js';
import { buildModel } from '../src/training/build-model.js';
import { DPTrainer } from '../src/training/dp-trainer.js';
import { fail } from '../src/training/fail.js';

/** What the server's `POST /train/runs` answers. */
interface TrainRun {
  run_id: string;
  token: string;
  expires_at: string;
  delta: number;
  neighboring_relation: 'add_or_remove_one' | 'replace_one';
}

interface Data {
  x: tf.Tensor;
  y: tf.Tensor;
  n: number;
  /** SHA-256 hex of the image bytes then the label bytes (as decoded), the run's dataset digest. */
  digest: string;
}

const el = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string) => void (el('status').textContent = text);

async function sha256Hex(parts: readonly Uint8Array[]): Promise<string> {
  const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The file's bytes, gunzipped in the browser (DecompressionStream) when they start with the gzip magic. */
async function bytesOf(blob: Blob): Promise<Uint8Array> {
  const raw = new Uint8Array(await blob.arrayBuffer());
  if (!(raw[0] === 0x1f && raw[1] === 0x8b)) return raw;
  const inflated = new Blob([raw]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(inflated).arrayBuffer());
}

/** Images [n, 28, 28, 1] scaled to [0, 1] and one-hot labels, from IDX image and label files. */
async function loadData(images: Blob, labels: Blob): Promise<Data> {
  const img = parseIdx(await bytesOf(images), 'images');
  const lab = parseIdx(await bytesOf(labels), 'labels');
  const n = img.shape[0]!;
  if (img.shape.length !== 3 || img.shape[1] !== 28 || img.shape[2] !== 28) {
    fail('bad_input', `images must be n x 28 x 28, got ${img.shape.join(' x ')}`);
  }
  if (lab.shape.length !== 1 || lab.shape[0] !== n) {
    fail('bad_input', `labels must be ${n} long, got ${lab.shape.join(' x ')}`);
  }
  const x = tf.tidy(() =>
    tf.tensor4d(
      Float32Array.from(img.data, (v) => v / 255),
      [n, 28, 28, 1],
    ),
  );
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(lab.data), 'int32'), 10));
  return { x, y, n, digest: await sha256Hex([img.data, lab.data]) };
}

/** webgpu (when a webgpu backend is registered and the browser has navigator.gpu), else webgl, else wasm. */
async function pickBackend(forced: string | null): Promise<string> {
  const order = forced !== null ? [forced] : ['webgpu', 'webgl', 'wasm'];
  for (const name of order) {
    if (name === 'webgpu' && (!('gpu' in navigator) || tf.findBackendFactory('webgpu') === null)) continue;
    if (name === 'wasm') {
      setWasmPaths(new URL('/train/wasm/', location.href).href);
      registerWasmFixes();
    }
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // this backend cannot start here: try the next one
    }
  }
  fail('backend_unavailable', `no tfjs backend among ${order.join(', ')} starts in this browser`);
}

async function startRun(budgetId: string, n: number, batch: number): Promise<TrainRun> {
  const res = await fetch('/train/runs', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ budget_id: budgetId, dataset_size: n, expected_batch_size: batch }),
  });
  const body = (await res.json()) as TrainRun & Partial<Problem>;
  if (!res.ok) {
    const code = body.code ?? 'bad_response';
    const message = `the accountant refused the run: ${res.status} ${code}: ${body.detail ?? ''}`;
    throw new DpledgerApiError(res.status, code, message);
  }
  return body;
}

async function modelDigest(model: tf.LayersModel): Promise<string> {
  const parts = await Promise.all(model.getWeights().map(async (w) => new Uint8Array((await w.data()).buffer)));
  return sha256Hex(parts);
}

async function train(): Promise<void> {
  const form = el<HTMLFormElement>('train-form');
  const field = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
  const params = new URLSearchParams(location.search);
  el<HTMLButtonElement>('start').disabled = true;
  const backend = await pickBackend(params.get('backend'));
  el('backend').textContent = backend;
  status('reading the data (it stays in this page)');
  const images = el<HTMLInputElement>('images').files?.[0];
  const labels = el<HTMLInputElement>('labels').files?.[0];
  const sample = async (f: string) => (await fetch(`/train/sample/${f}`)).blob();
  const files =
    images !== undefined && labels !== undefined
      ? [images, labels]
      : await Promise.all(['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'].map(sample));
  const data = await loadData(files[0]!, files[1]!);
  const steps = Number(field('steps'));
  const batch = Number(field('batch'));
  const run = await startRun(field('budget_id'), data.n, batch);
  el('run').textContent = run.run_id;
  // the run-scoped token, never a tenant API key: it can reserve, commit and close this one run
  const client = createClient({ baseUrl: location.origin, apiKey: run.token });
  const model = buildModel('tanh-cnn');
  const trainer = new DPTrainer({
    model,
    loss: 'categoricalCrossentropy',
    optimizer: { kind: 'sgd', learningRate: Number(field('learning_rate')) },
    clipNorm: Number(field('clip_norm')),
    noiseMultiplier: Number(field('noise_multiplier')),
    expectedBatchSize: batch,
    datasetSize: data.n,
    neighboringRelation: run.neighboring_relation,
    privateLoss: true, // shown live, labelled private
    accountant: {
      client,
      runId: run.run_id,
      reserveSteps: Math.min(100, steps),
      neighboringRelation: run.neighboring_relation,
    },
  });
  status('training');
  const history = await trainer.fit(data.x, data.y, {
    steps,
    callbacks: {
      onStep: (r) => {
        el('progress').textContent = `${r.step + 1} / ${steps}`;
        el<HTMLProgressElement>('bar').value = (r.step + 1) / steps;
        el('epsilon').textContent = formatEpsilon(trainer.epsilon(run.delta), 4); // rounded up, never below the spend
        el('loss').textContent = Number.isFinite(r.private.loss) ? r.private.loss.toFixed(4) : 'n/a';
      },
    },
  });
  status('closing the run');
  await trainer.close();
  const digests = { model_digest: { sha256: await modelDigest(model) }, dataset_digest: { sha256: data.digest } };
  await client.closeRun(run.run_id, digests);
  tf.dispose([data.x, data.y]);
  const link = el<HTMLAnchorElement>('report');
  link.href = `/runs/${encodeURIComponent(run.run_id)}`;
  link.hidden = false;
  el('steps-done').textContent = String(history.steps);
  const stopped = history.stopped;
  const end = stopped === undefined ? 'done' : `stopped at step ${stopped.atStep}: the budget is spent`;
  status(`${end}; run closed`);
  document.body.dataset['state'] = 'done';
}

el<HTMLFormElement>('train-form').addEventListener('submit', (e) => {
  e.preventDefault();
  document.body.dataset['state'] = 'training';
  train().catch((err: unknown) => {
    status(`failed: ${err instanceof Error ? err.message : String(err)}`);
    document.body.dataset['state'] = 'failed';
  });
});
document.body.dataset['state'] = 'ready';
