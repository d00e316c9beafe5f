/**
 * Incremental RDP metering of a budget. RDP composes by adding the per-order vectors (Mironov 2017, Prop. 1),
 * so a budget keeps one running vector and an append only prices its own events; identical events (every
 * DP-SGD step logs the same one) are priced once and cached. The math is @dpledger/accounting's RdpAccountant.
 */
import { RdpAccountant, rdpToEpsilon, stableKey, type DpEvent, type NeighboringRelation } from '@dpledger/accounting';

const CACHE_LIMIT = 1024;

export class RdpMeter {
  readonly neighboringRelation: NeighboringRelation;
  readonly orders: readonly number[];
  private readonly cache = new Map<string, readonly number[]>();

  constructor(neighboringRelation: NeighboringRelation) {
    this.neighboringRelation = neighboringRelation;
    this.orders = new RdpAccountant({ neighboringRelation }).orders;
  }

  /** The vector of nothing. */
  zero(): number[] {
    return this.orders.map(() => 0);
  }

  /**
   * The RDP vector of one event; throws AccountingError (invalid_event, unsupported_event with pointer).
   * @example meter.cost({ kind: 'gaussian', noise_multiplier: 1 }) // [a / 2 for each order a]
   */
  cost(event: DpEvent): readonly number[] {
    const key = stableKey(event);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const rdp = [...new RdpAccountant({ neighboringRelation: this.neighboringRelation }).compose(event).rdp];
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, rdp);
    return rdp;
  }

  /** `base` plus `times` x the vector of each event (Mironov 2017, Prop. 1: RDP adds under composition). */
  add(base: readonly number[], events: readonly DpEvent[], times = 1): number[] {
    return this.addRuns(base, events.map((event) => ({ event, count: 1 })), times);
  }

  /** `base` plus `times` x `count` x the vector of each run's event. */
  addRuns(base: readonly number[], runs: readonly { event: DpEvent; count: number }[], times = 1): number[] {
    const out = [...base];
    for (const r of runs) {
      const n = times * r.count;
      if (n === 0) continue;
      const c = this.cost(r.event);
      for (let i = 0; i < out.length; i++) out[i]! += n * c[i]!;
    }
    return out;
  }

  /** Epsilon at `delta` of a vector, with the optimal order (Balle et al. 2020, Thm. 21, via rdpToEpsilon). */
  epsilon(rdp: readonly number[], delta: number): { epsilon: number; order: number } {
    const { value, order } = rdpToEpsilon(this.orders, rdp, delta);
    return { epsilon: value, order: Number.isNaN(order) ? this.orders[0]! : order };
  }
}
