/**
 * Pending write transactions by tenant, served round-robin: each turn takes the oldest write of the next tenant
 * that has one, so a tenant that queues many (or heavy) writes delays another tenant's write by at most one of
 * its own, not by all of them. Within a tenant, writes keep their arrival order.
 */

interface Entry<T> {
  item: T;
  weight: number;
}

export class FairQueue<T> {
  /** Tenants with pending writes, in serving order (Map keeps insertion order): the first is served next. */
  private readonly lanes = new Map<string, Entry<T>[]>();
  private count = 0;

  /** Pending writes, all tenants together. */
  get length(): number {
    return this.count;
  }

  /**
   * Queues `item` behind the earlier writes of `lane`; `weight` is the work it may do (records it may write).
   * @example queue.push('acme', op, 1000)
   */
  push(lane: string, item: T, weight: number): void {
    const pending = this.lanes.get(lane);
    if (pending === undefined) this.lanes.set(lane, [{ item, weight }]);
    else pending.push({ item, weight });
    this.count++;
  }

  /**
   * The weight of the write `take` would return next, or undefined when nothing is pending.
   * @example if ((queue.peekWeight() ?? Infinity) <= room) run(queue.take())
   */
  peekWeight(): number | undefined {
    const first = this.lanes.values().next();
    return first.done === true ? undefined : first.value[0]!.weight;
  }

  /**
   * Takes the oldest write of the next tenant in turn; that tenant then goes behind every other waiting tenant.
   * @example const op = queue.take()
   */
  take(): T | undefined {
    const first = this.lanes.entries().next();
    if (first.done === true) return undefined;
    const [lane, pending] = first.value;
    const head = pending.shift()!;
    this.lanes.delete(lane);
    if (pending.length > 0) this.lanes.set(lane, pending);
    this.count--;
    return head.item;
  }
}
