/**
 * A budget's ledger: the committed events of all its runs, merged by event regardless of order. Composition is
 * commutative for both accountants (RDP adds, Mironov 2017, Prop. 1; PLDs convolve, Koskela et al. 2020), so
 * the ledger grows with the distinct events of the budget, not with how runs interleave their appends.
 * This is not the run-length merging of a run's ledger (@dpledger/accounting's Ledger, which keeps the order);
 * it writes entries in the same form (`unwrapCount`/`withCount`) so both read alike.
 */
import { stableKey, unwrapCount, withCount, type DpEvent, type EventRun } from '@dpledger/accounting';

/**
 * Adds `times` x each run's `count` invocations of its event to the entry of the same event, or appends one.
 * @example mergeUnordered([a, b], [{ event: a, count: 2 }]) // [self_composed(a, 3), b]
 */
export function mergeUnordered(entries: readonly DpEvent[], runs: readonly EventRun[], times = 1): DpEvent[] {
  const out = [...entries];
  const index = new Map<string, number>();
  out.forEach((e, i) => index.set(stableKey(unwrapCount(e).event), i));
  for (const r of runs) {
    const inner = unwrapCount(r.event);
    const total = inner.count * r.count * times;
    if (total === 0) continue; // composing zero times changes nothing
    const key = stableKey(inner.event);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, out.length);
      out.push(withCount({ event: inner.event, count: total }));
    } else {
      out[at] = withCount({ event: inner.event, count: unwrapCount(out[at]!).count + total });
    }
  }
  return out;
}
