/**
 * A budget's ledger: the committed events of all its runs, merged by event regardless of order. Composition is
 * commutative for both accountants (RDP adds, Mironov 2017, Prop. 1; PLDs convolve, Koskela et al. 2020), so
 * the ledger grows with the distinct events of the budget, not with how runs interleave their appends.
 */
import { stableKey, type DpEvent } from '@dpledger/accounting';

function unwrap(e: DpEvent): [DpEvent, number] {
  return e.kind === 'self_composed' ? [e.event, e.count] : [e, 1];
}

function wrap(e: DpEvent, count: number): DpEvent {
  return count === 1 ? e : { kind: 'self_composed', event: e, count };
}

/**
 * Adds `times` x each run's `count` invocations of its event to the entry of the same event, or appends one.
 * @example mergeUnordered([a, b], [{ event: a, count: 2 }]) // [self_composed(a, 3), b]
 */
export function mergeUnordered(entries: readonly DpEvent[], runs: readonly { event: DpEvent; count: number }[], times = 1): DpEvent[] {
  const out = [...entries];
  const index = new Map<string, number>();
  out.forEach((e, i) => index.set(stableKey(unwrap(e)[0]), i));
  for (const r of runs) {
    const [inner, innerCount] = unwrap(r.event);
    const total = innerCount * r.count * times;
    if (total === 0) continue; // composing zero times changes nothing
    const key = stableKey(inner);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, out.length);
      out.push(wrap(inner, total));
    } else {
      out[at] = wrap(inner, unwrap(out[at]!)[1] + total);
    }
  }
  return out;
}
