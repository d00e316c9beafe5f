/**
 * Each run's epsilon-versus-step curve, kept between page views: a refresh reads and prices only the records
 * logged since the last one (RDP adds per order, Mironov 2017, Prop. 1), not the whole log. The curve is sampled
 * every `stride` steps; when the samples pass a bound the stride doubles and every other sample is dropped, so
 * a run's state stays small however long it grows.
 *
 * Why this is not @dpledger/audit's `epsilonCurve` (which the report draws): that one recomposes the whole log on
 * every call, and an open run's page refreshes every 5 seconds. The figures are the same code: each leaf is priced
 * by @dpledger/accounting's RdpAccountant and converted by its rdpToEpsilon (through the service's RdpMeter), and
 * curve-cache.test.ts checks that the last point equals the report curve's.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { DpEvent, NeighboringRelation } from '@dpledger/accounting';
import { RdpMeter } from '../ledger/rdp-meter.js';
import { recordPages, type RecordReader } from '../store/record-pages.js';
import type { CurvePoint } from './svg-curve.js';

/** Records read per page while catching up. */
const PAGE = 5000;
/** Most samples kept per curve (between this and half of it are drawn). */
const MAX_SAMPLES = 120;

interface CurveState {
  count: number;
  rdp: number[];
  stride: number;
  samples: CurvePoint[];
}

/** Reads a run's records with sequence > `after`, oldest first, at most `limit`. */
export type RecordPager = RecordReader<{ sequence: number; event: DpEvent }>;

export class CurveCache {
  private readonly states = new Map<string, CurveState>();
  private readonly meters = new Map<NeighboringRelation, RdpMeter>();

  /** @param limit curves kept (least recently viewed dropped first). */
  constructor(private readonly limit = 256) {}

  /**
   * The curve of a run of `eventCount` records, catching up from where the last view of `key` stopped.
   * @example
   * const opts = { delta: 1e-5, neighboringRelation: 'add_or_remove_one' };
   * await curves.curve(`${tenant}/${run.id}`, opts, run.event_count, pager)
   */
  async curve(
    key: string,
    opts: { delta: number; neighboringRelation: NeighboringRelation },
    eventCount: number,
    read: RecordPager,
  ): Promise<CurvePoint[]> {
    const k = `${key}\u0000${opts.neighboringRelation}\u0000${opts.delta}`;
    let meter = this.meters.get(opts.neighboringRelation);
    if (meter === undefined) {
      meter = new RdpMeter(opts.neighboringRelation);
      this.meters.set(opts.neighboringRelation, meter);
    }
    let st = this.states.get(k);
    this.states.delete(k);
    if (st === undefined || st.count > eventCount) st = { count: 0, rdp: meter.zero(), stride: 1, samples: [] };
    this.states.set(k, st);
    if (this.states.size > this.limit) this.states.delete(this.states.keys().next().value as string);
    pages: for await (const page of recordPages(read, { after: st.count - 1, limit: PAGE, end: eventCount })) {
      for (const r of page) {
        if (r.sequence !== st.count) break pages; // a gap in the log: the curve stops at what is known
        const c = meter.cost(r.event);
        for (let i = 0; i < st.rdp.length; i++) st.rdp[i]! += c[i]!;
        st.count++;
        if (st.count % st.stride === 0) this.sample(st, meter, opts.delta);
      }
      await yieldToLoop(); // one page at a time: other requests run between pages
    }
    const last = st.samples[st.samples.length - 1];
    const final = { step: st.count, epsilon: meter.epsilon(st.rdp, opts.delta).epsilon };
    const end = last === undefined || last.step !== st.count ? [final] : [];
    return [{ step: 0, epsilon: 0 }, ...st.samples, ...(st.count === 0 ? [] : end)];
  }

  private sample(st: CurveState, meter: RdpMeter, delta: number): void {
    st.samples.push({ step: st.count, epsilon: meter.epsilon(st.rdp, delta).epsilon });
    if (st.samples.length > MAX_SAMPLES) {
      st.stride *= 2;
      st.samples = st.samples.filter((p) => p.step % st.stride === 0);
    }
  }
}
