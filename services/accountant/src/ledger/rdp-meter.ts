/**
 * Incremental RDP metering of a budget. RDP composes by adding the per-order vectors (Mironov 2017, Prop. 1),
 * so a budget keeps one running vector and an append only prices its own events. Costs are cached per LEAF
 * event (an event that is not `composed` or `self_composed`): a `composed` event of many sub-events costs one
 * curve per distinct leaf, and every DP-SGD step logs the same leaf. The math is @dpledger/accounting's
 * RdpAccountant; `prepare` computes new leaves before a write transaction a few orders at a time, yielding to the
 * event loop in between, so neither the loop nor the transaction (which only adds cached vectors) is held long.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import {
  AccountingError,
  RdpAccountant,
  rdpToEpsilon,
  stableKey,
  type DpEvent,
  type NeighboringRelation,
} from '@dpledger/accounting';
import { forEachLeaf } from './limits.js';

/** Leaf curves kept (least recently used dropped first); above the per-run and per-request leaf limits. */
const CACHE_LIMIT = 4096;
/**
 * Orders of a new leaf's curve computed between two yields in `prepare` (one order of a sampled Gaussian is ~30 us).
 */
const ORDERS_PER_SLICE = 16;

export class RdpMeter {
  readonly neighboringRelation: NeighboringRelation;
  readonly orders: readonly number[];
  private readonly leaves = new Map<string, readonly number[]>();
  /** Costs of event objects already priced (the objects of a request in flight), by identity. */
  private readonly byObject = new WeakMap<DpEvent, readonly number[]>();

  constructor(neighboringRelation: NeighboringRelation) {
    this.neighboringRelation = neighboringRelation;
    this.orders = new RdpAccountant({ neighboringRelation }).orders;
  }

  /** The vector of nothing. */
  zero(): number[] {
    return this.orders.map(() => 0);
  }

  /** How many leaf curves are cached (for tests and metrics). */
  get cachedLeaves(): number {
    return this.leaves.size;
  }

  private cachedLeaf(key: string): readonly number[] | undefined {
    const hit = this.leaves.get(key);
    if (hit !== undefined) {
      this.leaves.delete(key); // refresh its place in the LRU order
      this.leaves.set(key, hit);
    }
    return hit;
  }

  /** The curve of one leaf at `orders` (a fresh accountant composes it once, so each entry is that order's RDP). */
  private curve(leaf: DpEvent, pointer: string, orders: readonly number[]): number[] {
    try {
      return [...new RdpAccountant({ neighboringRelation: this.neighboringRelation, orders }).compose(leaf).rdp];
    } catch (err) {
      if (err instanceof AccountingError)
        throw new AccountingError(err.code, err.message, { pointer: `${pointer}${err.pointer ?? ''}` });
      throw err;
    }
  }

  private remember(key: string, leaf: DpEvent, rdp: readonly number[]): readonly number[] {
    if (this.leaves.size >= CACHE_LIMIT) this.leaves.delete(this.leaves.keys().next().value as string);
    this.leaves.set(key, rdp);
    this.byObject.set(leaf, rdp);
    return rdp;
  }

  private leafCost(leaf: DpEvent, pointer: string): readonly number[] {
    const known = this.byObject.get(leaf);
    if (known !== undefined) return known;
    const key = stableKey(leaf);
    const hit = this.cachedLeaf(key);
    if (hit !== undefined) {
      this.byObject.set(leaf, hit);
      return hit;
    }
    return this.remember(key, leaf, this.curve(leaf, pointer, this.orders));
  }

  /**
   * `leafCost` in slices of orders with a yield to the event loop after each. The RDP of a leaf is computed
   * order by order (each entry depends on its own order only), so the slices put together are the same vector.
   */
  private async leafCostSliced(leaf: DpEvent, pointer: string): Promise<void> {
    const key = stableKey(leaf);
    const rdp: number[] = [];
    for (let from = 0; from < this.orders.length; from += ORDERS_PER_SLICE) {
      rdp.push(...this.curve(leaf, pointer, this.orders.slice(from, from + ORDERS_PER_SLICE)));
      await yieldToLoop();
    }
    // Priced meanwhile by another request: keep the first vector (they are equal).
    if (this.leaves.has(key)) this.leafCost(leaf, pointer);
    else this.remember(key, leaf, rdp);
  }

  private walk(event: DpEvent, pointer: string): readonly number[] {
    const known = this.byObject.get(event);
    if (known !== undefined) return known;
    let out: readonly number[];
    switch (event.kind) {
      case 'composed': {
        // Summed left to right from zero, exactly as RdpAccountant composes (Mironov 2017, Prop. 1).
        const acc = this.zero();
        event.events.forEach((e, i) => {
          const c = this.walk(e, `${pointer}/events/${i}`);
          for (let k = 0; k < acc.length; k++) acc[k]! += c[k]!;
        });
        out = acc;
        break;
      }
      case 'self_composed': {
        const c = this.walk(event.event, `${pointer}/event`);
        // count-fold composition adds count times
        out = event.count === 0 ? this.zero() : c.map((x) => x * event.count);
        break;
      }
      default:
        return this.leafCost(event, pointer);
    }
    this.byObject.set(event, out);
    return out;
  }

  /**
   * The RDP vector of one event; throws AccountingError (invalid_event, unsupported_event with pointer).
   * @example meter.cost({ kind: 'gaussian', noise_multiplier: 1 }) // [a / 2 for each order a]
   */
  cost(event: DpEvent): readonly number[] {
    return this.walk(event, '');
  }

  /**
   * Computes the curves of the leaves of `events` not cached yet, a slice of orders at a time with a yield to the
   * event loop after each, so a request with many new leaves never holds the loop for more than one slice.
   * Throws as `cost` would, with the pointer under `pointerOf(i)`.
   * @example await meter.prepare(events, (i) => `/events/${i}`)
   */
  async prepare(events: readonly DpEvent[], pointerOf: (i: number) => string): Promise<void> {
    for (let i = 0; i < events.length; i++) {
      const fresh: { leaf: DpEvent; pointer: string }[] = [];
      forEachLeaf(events[i]!, pointerOf(i), (leaf, pointer) => {
        if (!this.byObject.has(leaf) && !this.leaves.has(stableKey(leaf))) fresh.push({ leaf, pointer });
      });
      for (const { leaf, pointer } of fresh) {
        if (this.leaves.has(stableKey(leaf))) continue; // a repeat of a leaf priced a moment ago
        await this.leafCostSliced(leaf, pointer);
      }
      this.walk(events[i]!, pointerOf(i));
    }
  }

  /** `base` plus `times` x the vector of each event (Mironov 2017, Prop. 1: RDP adds under composition). */
  add(base: readonly number[], events: readonly DpEvent[], times = 1): number[] {
    return this.addRuns(
      base,
      events.map((event) => ({ event, count: 1 })),
      times,
    );
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
