// `npm run bench -w packages/accounting`: prints timings with ratios to naive baselines measured in the same run.
// Runs on the built package (dist/); the npm script builds it first. Not a test: nothing here asserts a time.
import { performance } from 'node:perf_hooks';
import { RdpAccountant, calibrateNoiseMultiplier, dpSgdEvent, rdpToEpsilon } from '../dist/index.js';

/** Median wall time in ms of `fn` over `runs` runs (after one warm-up). */
function time(fn, runs = 15) {
  fn();
  const t = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    fn();
    t.push(performance.now() - s);
  }
  return t.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} us` : `${ms.toFixed(2)} ms`);
const line = (label, ms, baselineLabel, baseMs) =>
  console.log(
    `${label.padEnd(58)} ${fmt(ms).padStart(10)}   ` +
      `${baselineLabel}: ${fmt(baseMs)} (x${(baseMs / ms).toFixed(1)} faster)`,
  );

const q = 0.004267;
const sigma = 1.1;
const delta = 1e-5;
const steps = 100_000;
const step = dpSgdEvent(q, sigma, 1).event;

export function rdpFigures() {
  console.log('RDP (q=0.004267, sigma=1.1, delta=1e-5, 156 dp_accounting orders)');
  const build = time(() => new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(step), 5);
  console.log(`${'one-step RDP vector (exact, all orders)'.padEnd(58)} ${fmt(build).padStart(10)}`);
  // builds and caches the vector
  const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(step);
  const one = acc.rdp;
  const fast = time(
    () =>
      rdpToEpsilon(
        acc.orders,
        one.map((r) => r * steps),
        delta,
      ).value,
    51,
  );
  // Naive baseline: compose the 1e5 steps one at a time (the vector is cached after the first), then convert.
  const naive = time(() => {
    const a = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });
    for (let i = 0; i < steps; i++) a.compose(step);
    return a.getEpsilon(delta);
  }, 3);
  line('epsilon of 1e5 DP-SGD steps after the vector is built', fast, 'naive 1e5 composes', naive);
  const calib = time(
    () => calibrateNoiseMultiplier({ targetEpsilon: 1, targetDelta: delta, samplingProbability: q, steps: 10_000 }),
    5,
  );
  // Naive baseline: Opacus-style doubling then bisection on sigma to the same 0.01 epsilon tolerance.
  const eps = (s) =>
    new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(dpSgdEvent(q, s, 10_000)).getEpsilon(delta);
  const bisect = time(() => {
    let lo = 0;
    let hi = 10;
    for (;;) {
      const mid = (lo + hi) / 2;
      const e = eps(mid);
      if (e < 1) {
        hi = mid;
        if (1 - e < 0.01) return mid;
      } else lo = mid;
    }
  }, 5);
  line('calibrate sigma for eps=1 (1e4 steps, tolerance 0.01)', calib, 'naive bisection', bisect);
}

/** Slot for the PLD figures: helper B's src/pld/pld.bench.ts runs right after this script (see package.json). */
export function pldFigures() {
  console.log(
    'PLD: figures follow from `vitest bench` on src/pld/pld.bench.ts (1e4 steps, interval 1e-4, vs a naive baseline)',
  );
}

rdpFigures();
pldFigures();
