/** Epsilon against step of a run's event log, recomputed with the RDP accountant at a bounded number of points. */
import { RdpAccountant, eventsEqual, type DpEvent, type NeighboringRelation } from '@dpledger/accounting';
import type { CurvePoint } from './svg-curve.js';

/**
 * Recomputes epsilon(delta) after each of ~`points` evenly spaced prefixes of `events` (one entry per logged
 * invocation). Consecutive equal events are composed with a count, so a long DP-SGD log costs `points` conversions.
 * RDP composition is additive per order (Mironov 2017, Prop. 1), so each prefix adds only its increment.
 * @example epsilonCurve([{ kind: 'gaussian', noise_multiplier: 1 }], { delta: 1e-5, neighboringRelation: 'add_or_remove_one' })
 */
export function epsilonCurve(
  events: readonly DpEvent[],
  opts: { delta: number; neighboringRelation: NeighboringRelation; points?: number },
): CurvePoint[] {
  const n = events.length;
  const out: CurvePoint[] = [{ step: 0, epsilon: 0 }];
  if (n === 0) return out;
  const k = Math.max(1, Math.min(n, opts.points ?? 60));
  const acc = new RdpAccountant({ neighboringRelation: opts.neighboringRelation });
  let done = 0;
  for (let i = 1; i <= k; i++) {
    const target = Math.round((i * n) / k);
    while (done < target) {
      const e = events[done]!;
      let run = 1;
      while (done + run < target && eventsEqual(events[done + run]!, e)) run++;
      acc.compose(e, run);
      done += run;
    }
    out.push({ step: done, epsilon: acc.getEpsilon(opts.delta) });
  }
  return out;
}
