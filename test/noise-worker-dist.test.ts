/**
 * The noise prefetch worker as shipped: the built trainer (packages/trainer/dist, plain Node, no TypeScript loader)
 * starts dist/training/noise-worker.js beside noise-prefetch.js. A worker that fails to start is not an error (the
 * noise continues inline), so nothing else would notice a build that lost it. Needs the build (`npm test` builds
 * first). The child runs with V8's `--random-seed`, which fixes Math.random in every isolate: two secure workers
 * that drew from it (or from any fixed seed) would give the same noise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const dist = new URL('../packages/trainer/dist/training/', import.meta.url);

const SCRIPT = `
import { Worker } from 'node:worker_threads';
import { GaussianNoiseStream } from ${JSON.stringify(new URL('noise-prefetch.js', dist).href)};
import { fillGaussian } from ${JSON.stringify(new URL('gaussian-noise.js', dist).href)};
import { SecureRandomSource, SeededRandomSource } from ${JSON.stringify(new URL('random-source.js', dist).href)};
const SEED = '0b16212c37424d58636e7984909ba6b1', SIZE = 20000, STD = 0.37;
const seeded = new GaussianNoiseStream(SIZE, { seeded: { seed: SEED, position: 5 } }, STD);
const got = [await seeded.next(), await seeded.next()];
const src = new SeededRandomSource(SEED, { stream: 'noise', position: 5 });
const want = got.map(() => fillGaussian(src, new Float32Array(SIZE), STD));
const secure = [0, 1].map(() => new GaussianNoiseStream(SIZE, { secure: new SecureRandomSource() }));
const [a, b] = [await secure[0].next(), await secure[1].next()];
const mathRandom = () => new Promise((resolve) => {
  const w = new Worker("require('node:worker_threads').parentPort.postMessage(Math.random())", { eval: true });
  w.once('message', (m) => { resolve(m); void w.terminate(); });
});
console.log(JSON.stringify({
  workers: [await seeded.prefetching(), await secure[0].prefetching(), await secure[1].prefetching()],
  seededEqual: got.every((z, i) => z.every((v, j) => Object.is(v, want[i][j]))),
  position: [seeded.position(), src.position()],
  secureDiffer: a.some((v, i) => v !== b[i]),
  mathRandomFixed: (await mathRandom()) === (await mathRandom()),
}));
for (const s of [seeded, ...secure]) s.close();
`;

interface Result {
  workers: boolean[];
  seededEqual: boolean;
  position: number[];
  secureDiffer: boolean;
  mathRandomFixed: boolean;
}

it('the built trainer runs its noise worker: seeded buffers are fillGaussian, secure ones not Math.random', () => {
  if (!existsSync(fileURLToPath(new URL('noise-worker.js', dist)))) {
    throw new Error('packages/trainer is not built: run `npm run build` (npm test does) before this test');
  }
  const dir = mkdtempSync(join(tmpdir(), 'dpledger-noise-worker-'));
  const script = join(dir, 'check.mjs'); // a file, not -e: a worker cannot inherit --input-type
  writeFileSync(script, SCRIPT);
  const res = spawnSync(process.execPath, ['--random-seed=20240229', script], { encoding: 'utf8', timeout: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  expect(res.status, res.stderr).toBe(0);
  const r = JSON.parse(res.stdout) as Result;
  expect(r.workers).toEqual([true, true, true]); // every buffer came from a worker, none inline
  expect(r.seededEqual).toBe(true);
  expect(r.position[0]).toBe(r.position[1]);
  expect(r.mathRandomFixed).toBe(true); // the control: Math.random repeats across this child's workers
  expect(r.secureDiffer).toBe(true);
});
