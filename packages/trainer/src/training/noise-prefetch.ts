/**
 * The trainer's Gaussian noise stream: one buffer of Gaussian samples per step, generated one step ahead in a
 * node:worker_threads worker (noise-worker.ts, which runs the same `fillGaussian` on the same random sources) so the
 * Ziggurat fill overlaps the main thread's gradient work (inline in a browser, or after the worker failed). A seeded
 * run's noise is its own ChaCha20 stream (the 'noise' stream of its seed);
 * `position()` is that stream's position after the last CONSUMED buffer, so a checkpoint resumes it exactly (given
 * the seed again) and the inline fallback continues it bit for bit. A secure stream has no position and nothing of
 * it is ever saved. A prefetched buffer is handed out once and never kept; an unconsumed one is dropped on close.
 * A consumer that has copied a buffer's samples (into a tensor) hands it back with `release`: the next fill reuses it
 * (transferred to the worker, which detaches the consumer's view) instead of allocating a fresh one.
 */
import type { MessagePort as NodePort, Worker as NodeWorker } from 'node:worker_threads';
import { fail } from './fail.js';
import { fillGaussian } from './gaussian-noise.js';
import type { NoiseWorkerData, NoiseWorkerReply as Reply, NoiseWorkerRequest } from './noise-worker.js';
import { SeededRandomSource, type RandomSource } from './random-source.js';
import { parseSeed, type Seed } from './seed.js';

/** Where a stream's samples come from: a seeded run's noise stream from a position, or the platform CSPRNG. */
export type NoiseSource = { seeded: { seed: Seed; position: number } } | { secure: RandomSource };

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
/** The worker's compiled entry beside this module's (a variable, so a browser bundler leaves it alone). */
const WORKER_ENTRY = './noise-worker.js';
/** Released buffers kept for reuse: one being filled while the consumer holds the other covers the cycle. */
const MAX_SPARE = 2;

/**
 * One step's N(0, sampleStd^2) noise at a time, prefetched in a worker under Node.
 * @example
 * const s = new GaussianNoiseStream(1000, { seeded: { seed: '000102030405060708090a0b0c0d0e0f', position: 0 } });
 * const z = await s.next();
 * s.close();
 */
export class GaussianNoiseStream {
  private consumed: number | null;
  private readonly seed: Uint8Array | null;
  private worker: Promise<NodeWorker | null> | null = null;
  private pending: Promise<Reply> | null = null;
  private live: NodeWorker | null = null; // the running worker, cleared before it is terminated on purpose
  private failed = !isNode;
  private readonly spare: ArrayBuffer[] = []; // released buffers, the next fills' targets
  // the live worker's reply port, and how to take a waiting reply off it synchronously (receiveMessageOnPort): a step
  // that was busy when the reply came need not wait for an event-loop turn to see it
  private replies: { worker: NodeWorker; port: NodePort; receive: (p: NodePort) => unknown } | null = null;
  // the request in flight: settled by the port's one listener, by takeReply, or rejected when its worker exits
  private waiter: { worker: NodeWorker; resolve: (r: Reply) => void; reject: (e: Error) => void } | null = null;
  private allocations = 0;

  /**
   * @param size samples per buffer
   * @param source `{ seeded: { seed, position } }` for a seeded run's noise stream from word `position`, or
   *   `{ secure: rng }`: the worker draws from its own `SecureRandomSource` (the platform CSPRNG), the inline path
   *   from `rng` (the CSPRNG)
   * @param sampleStd the samples' standard deviation (exactly `fillGaussian(src, out, sampleStd)`)
   */
  constructor(
    readonly size: number,
    private readonly source: NoiseSource,
    readonly sampleStd = 1,
  ) {
    if (!(sampleStd >= 0 && Number.isFinite(sampleStd)))
      fail('invalid_argument', `noise std must be finite and >= 0, got ${sampleStd}`);
    this.seed = 'seeded' in source ? parseSeed(source.seeded.seed) : null;
    this.consumed =
      'seeded' in source
        ? new SeededRandomSource(this.seed!, { stream: 'noise', position: source.seeded.position }).position()
        : null;
  }

  /** The seeded noise stream's position after the last buffer `next` returned (null in secure mode). */
  position(): number | null {
    return this.consumed;
  }

  /** Buffers the current worker has allocated so far (a diagnostic: with every buffer released, 2 after warm-up). */
  workerAllocations(): number {
    return this.allocations;
  }

  /** Whether buffers come from a worker (false in a browser and after the worker failed). */
  async prefetching(): Promise<boolean> {
    return (await this.started()) !== null;
  }

  /** The next buffer of `size` N(0, sampleStd^2) samples, the caller's alone (until it hands it to `release`). */
  async next(): Promise<Float32Array> {
    const worker = await this.started();
    if (worker && this.pending) {
      worker.ref(); // awaiting the worker: keep the process alive until it answers
      try {
        this.takeReply();
        const reply = await this.pending;
        this.consumed = reply.position;
        this.allocations = reply.allocations;
        this.pending = this.live === worker ? this.request(worker) : null;
        return reply.buf;
      } catch {
        this.fail(); // the worker died: continue inline from the last consumed state
      } finally {
        worker.unref();
      }
    }
    return this.inline();
  }

  /**
   * Hands back a buffer `next` returned, once its samples have been copied (tensors made from it disposed or
   * uploaded): a later fill overwrites it instead of allocating. The caller must not read or keep it afterwards; the
   * next request to a worker transfers it there, which empties the caller's view. Anything else (another length, a
   * view into a bigger buffer, one already handed back) is ignored.
   * @example const z = await s.next(); const t = tf.tensor(z); s.release(z);
   */
  release(buf: Float32Array): void {
    const b = buf.buffer;
    if (!(b instanceof ArrayBuffer) || buf.byteOffset !== 0 || b.byteLength !== 4 * this.size) return;
    if (this.spare.length < MAX_SPARE && !this.spare.includes(b)) this.spare.push(b);
  }

  /** Terminates the worker (dropping any prefetched buffer); a later `next` starts a fresh one. */
  close(): void {
    const w = this.worker;
    this.worker = null;
    this.pending = null;
    this.replies = null;
    this.live = null;
    void w?.then((x) => x?.terminate());
  }

  private inline(): Float32Array {
    const spare = this.takeSpare();
    const out = spare ? new Float32Array(spare) : new Float32Array(this.size); // fillGaussian writes every sample
    if (!this.seed)
      return fillGaussian((this.source as { secure: RandomSource }).secure, out, this.sampleStd) as Float32Array;
    const src = new SeededRandomSource(this.seed, { stream: 'noise', position: this.consumed! });
    fillGaussian(src, out, this.sampleStd);
    this.consumed = src.position();
    return out;
  }

  /** A handed-back buffer still whole (a caller that broke `release`'s contract may have transferred it since). */
  private takeSpare(): ArrayBuffer | undefined {
    for (let b = this.spare.pop(); b !== undefined; b = this.spare.pop()) if (b.byteLength === 4 * this.size) return b;
    return undefined;
  }

  private fail(): void {
    this.failed = true;
    this.close();
  }

  private started(): Promise<NodeWorker | null> {
    if (this.failed) return Promise.resolve(null);
    this.worker ??= this.spawn();
    return this.worker;
  }

  private async spawn(): Promise<NodeWorker | null> {
    try {
      const specifier = 'node:worker_threads'; // loaded only under Node: the package stays importable in browsers
      const threads = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
      const seeded = this.seed ? { seed: this.seed, position: this.consumed! } : null;
      const { port1, port2 } = new threads.MessageChannel(); // replies come on their own port: see takeReply
      const workerData: NoiseWorkerData = { std: this.sampleStd, seeded, replies: port2 };
      const worker = new threads.Worker(new URL(WORKER_ENTRY, import.meta.url), { workerData, transferList: [port2] });
      worker.unref();
      this.live = worker;
      // one listener each for the worker's life (adding and removing them per request costs more than the request)
      port1.on('message', (r: Reply) => this.settle(worker, r));
      port1.unref(); // after the listener, which refs the port: only an awaited request keeps the process alive
      worker.on('exit', () => {
        port1.close();
        if (this.waiter?.worker === worker) {
          this.waiter.reject(new Error('noise worker exited'));
          this.waiter = null;
        }
        if (this.live === worker) this.fail(); // an exit we did not ask for: a crash
      });
      worker.on('error', () => undefined); // the exit that follows is handled above
      this.replies = { worker, port: port1, receive: threads.receiveMessageOnPort };
      this.pending = this.request(worker);
      return worker;
    } catch {
      this.failed = true;
      return null;
    }
  }

  /** Asks for the next buffer; rejects if the worker exits before answering. */
  private request(worker: NodeWorker): Promise<Reply> {
    const reply = new Promise<Reply>((resolve, reject) => {
      this.waiter = { worker, resolve, reject };
    });
    reply.catch(() => undefined); // an unawaited prefetch of a dead worker is not an unhandled rejection
    const buf = this.takeSpare();
    const request: NoiseWorkerRequest = buf ? { n: this.size, buf } : { n: this.size };
    worker.postMessage(request, buf ? [buf] : []);
    return reply;
  }

  /** Resolves the request in flight with `worker`'s reply. */
  private settle(worker: NodeWorker, r: Reply): void {
    const w = this.waiter;
    if (w?.worker !== worker) return;
    this.waiter = null;
    w.resolve(r);
  }

  /** Takes the live worker's reply off its port if it is already there, settling `pending` (true). */
  private takeReply(): boolean {
    const live = this.replies;
    if (live === null || this.waiter?.worker !== live.worker) return false;
    const got = live.receive(live.port) as { message: Reply } | undefined;
    if (got === undefined) return false;
    this.settle(live.worker, got.message);
    return true;
  }
}
