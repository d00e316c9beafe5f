/**
 * PLD epsilon of a 1e4-step DP-SGD (q = 0.004267, sigma = 1.1, interval 1e-4, delta 1e-5), against a naive
 * baseline measured in the same run: self-composition by repeated squaring of pairwise FFT compositions (no
 * Chernoff window). Run: `npx vitest bench --run packages/accounting/src/pld` (dp_accounting takes ~0.4 s).
 */
import { bench, describe } from 'vitest';
import { composePmf } from './compose.js';
import { PldAccountant } from './pld-accountant.js';
import { additiveNoisePld, pldEpsilon, type Pld } from './pld.js';
import { IDENTITY_PMF, type Pmf } from './pmf.js';

const Q = 0.004267;
const SIGMA = 1.1;
const STEPS = 10_000;
const DELTA = 1e-5;
const D = 1e-4;

function squaringPower(p: Pmf, k: number): Pmf {
  let result = IDENTITY_PMF;
  let base = p;
  for (let e = k; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = composePmf(result, base);
    if (e > 1) base = composePmf(base, base);
  }
  return result;
}

describe(`PLD epsilon, DP-SGD q=${Q} sigma=${SIGMA} steps=${STEPS}`, () => {
  bench(
    'PldAccountant (one FFT power on a Chernoff window)',
    () => {
      const event = {
        kind: 'poisson_sampled',
        sampling_probability: Q,
        event: { kind: 'gaussian', noise_multiplier: SIGMA },
      } as const;
      new PldAccountant({ valueDiscretizationInterval: D }).compose(event, STEPS).getEpsilon(DELTA);
    },
    { iterations: 10, warmupIterations: 2, time: 0 },
  );

  bench(
    'baseline: repeated squaring of pairwise FFT compositions',
    () => {
      const step = additiveNoisePld('gaussian', SIGMA, Q, D);
      const pld: Pld = { remove: squaringPower(step.remove, STEPS), add: squaringPower(step.add, STEPS) };
      pldEpsilon(pld, D, DELTA);
    },
    { iterations: 1, warmupIterations: 0, time: 0 },
  );
});
