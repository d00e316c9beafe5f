/**
 * Test helper: runs `body` while every NEW isolate (each worker thread started meanwhile) seeds Math.random with
 * one fixed value (V8's `--random-seed`), so two workers that drew from Math.random would draw the same numbers.
 * The main thread's Math.random is not affected; crypto.getRandomValues (OpenSSL) never is. The flag is reset to
 * 0 (V8: a fresh random seed per isolate) afterwards.
 */
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';

/** Math.random's first draws in a fresh worker thread. */
export async function mathRandomInFreshWorker(): Promise<number[]> {
  const code = "require('node:worker_threads').parentPort.postMessage([Math.random(), Math.random(), Math.random()])";
  const worker = new Worker(code, { eval: true });
  try {
    return await new Promise<number[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

/**
 * Calls `body` with Math.random fixed in every worker started meanwhile.
 * @example await withFixedWorkerMathRandom(mathRandomInFreshWorker) // the same three numbers every time
 */
export async function withFixedWorkerMathRandom<T>(body: () => Promise<T>): Promise<T> {
  setFlagsFromString('--random-seed=20240229');
  try {
    return await body();
  } finally {
    setFlagsFromString('--random-seed=0');
  }
}
