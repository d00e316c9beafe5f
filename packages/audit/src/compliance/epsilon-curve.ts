/** Epsilon versus step, recomputed from the ledger or the event log with the RDP accountant. */
import { AccountingError, RdpAccountant, type NeighboringRelation } from '@dpledger/accounting';
import type { Segment } from './segments.js';

export interface EpsilonCurve {
  /** [step, epsilon at delta] pairs, first (0, 0), last the whole run. */
  points: [number, number][];
  totalSteps: number;
  /** The order attaining the final epsilon. */
  finalOrder: number | null;
  /** Why no curve could be computed (an event RDP cannot analyse), or null. */
  unavailable: string | null;
}

/**
 * Composes the segments in order with `RdpAccountant` and samples epsilon(delta) at about `samples` evenly
 * spaced steps (RDP composes additively, Mironov 2017 Prop. 1, so each point is the exact prefix epsilon).
 * @example epsilonCurve([{ event: step, count: 1000 }], 'add_or_remove_one', 1e-5).points.length // 51
 */
export function epsilonCurve(
  segments: readonly Segment[],
  neighboringRelation: NeighboringRelation,
  delta: number,
  samples = 50,
): EpsilonCurve {
  const totalSteps = segments.reduce((n, s) => n + s.count, 0);
  const points: [number, number][] = [[0, 0]];
  const acc = new RdpAccountant({ neighboringRelation });
  try {
    const targets = [
      ...new Set(Array.from({ length: samples }, (_, k) => Math.round(((k + 1) * totalSteps) / samples))),
    ].filter((t) => t > 0);
    let done = 0;
    let seg = 0;
    let usedInSeg = 0;
    for (const target of targets) {
      while (done < target) {
        const s = segments[seg]!;
        const take = Math.min(s.count - usedInSeg, target - done);
        acc.compose(s.event, take);
        done += take;
        usedInSeg += take;
        if (usedInSeg === s.count) {
          seg += 1;
          usedInSeg = 0;
        }
      }
      points.push([target, acc.getEpsilon(delta)]);
    }
    return {
      points,
      totalSteps,
      finalOrder: totalSteps > 0 ? acc.getEpsilonAndOrder(delta).order : null,
      unavailable: null,
    };
  } catch (err) {
    if (!(err instanceof AccountingError)) throw err;
    return { points: [], totalSteps, finalOrder: null, unavailable: err.message };
  }
}
