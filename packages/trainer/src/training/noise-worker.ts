/**
 * The noise prefetch worker's entry point: noise-prefetch.ts starts it as a node:worker_threads Worker from this
 * module's compiled file (`new URL('./noise-worker.js', import.meta.url)`). It draws with the very modules the main
 * thread uses (`fillGaussian` of gaussian-noise.ts on a `RandomSource` of random-source.ts), so a seeded worker
 * buffer is the inline fill from the same stream position: its ChaCha20 words and the ziggurat's fast step come from
 * the trainer's native addon (native-noise.ts), else the words from OpenSSL (openssl-keystream.ts), each pinned equal
 * to the TypeScript word for word and bit for bit. A secure worker draws
 * every word from the platform CSPRNG (`SecureRandomSource`: `globalThis.crypto.getRandomValues`), never Math.random.
 *
 * Protocol: workerData is a `NoiseWorkerData`; each `NoiseWorkerRequest` `{ n, buf? }` is answered by a
 * `NoiseWorkerReply`: a Float32Array of n N(0, std^2) samples (its buffer transferred, never kept) and the seeded
 * stream's position after it (null in secure mode). `buf`, when given, is a buffer the main thread handed back
 * (transferred) after its samples were consumed: it is filled instead of a fresh one, so that after warm-up the worker
 * allocates nothing per step (a fresh large ArrayBuffer costs page faults).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { fillGaussian } from './gaussian-noise.js';
import { nativeAccept, nativeKeystream } from './native-noise.js';
import { fastKeystream } from './openssl-keystream.js';
import { SecureRandomSource, SeededRandomSource, type RandomSource } from './random-source.js';

/** What the worker is started with: the samples' std, and for a seeded run its seed and noise stream position. */
export interface NoiseWorkerData {
  std: number;
  /** The port replies go to (the main thread reads it synchronously when a reply waits); else the parent port. */
  replies?: MessagePort;
  /** null: secure mode (the platform CSPRNG). */
  seeded: { seed: Uint8Array; position: number } | null;
}

/** One request: the next buffer of `n` samples, written into `buf` (4n bytes, transferred) when given. */
export interface NoiseWorkerRequest {
  n: number;
  buf?: ArrayBuffer;
}

/**
 * One answer: the buffer, the seeded noise stream's position after it (null in secure mode), and how many buffers
 * this worker has allocated so far (the rest were handed back).
 */
export interface NoiseWorkerReply {
  buf: Float32Array;
  position: number | null;
  allocations: number;
}

const port = parentPort;
if (port) {
  const { std, seeded, replies } = workerData as NoiseWorkerData;
  const out = replies ?? port;
  const src: RandomSource = seeded
    ? new SeededRandomSource(seeded.seed, {
        stream: 'noise',
        position: seeded.position,
        keystream: nativeKeystream ?? fastKeystream,
      })
    : new SecureRandomSource();
  let allocations = 0;
  port.on('message', ({ n, buf: spare }: NoiseWorkerRequest) => {
    let buf: Float32Array<ArrayBuffer>;
    if (spare?.byteLength === 4 * n)
      buf = new Float32Array(spare); // every sample is overwritten below
    else {
      buf = new Float32Array(n); // a negative n throws: the worker exits, and the stream continues inline
      allocations++;
    }
    fillGaussian(src, buf, std, nativeAccept ?? undefined);
    const reply: NoiseWorkerReply = { buf, position: src.position(), allocations };
    out.postMessage(reply, [buf.buffer]);
  });
}
