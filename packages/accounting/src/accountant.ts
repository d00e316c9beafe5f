/**
 * The accountant interface of dp_accounting (privacy_accountant.py), with repetition handled in ONE place:
 * `composed`, `self_composed` and the `count` argument are resolved here; subclasses only price leaf events
 * (a mechanism, possibly under sampling) and say how costs compose and repeat.
 */
import type { DpEvent, NeighboringRelation } from './dp-event.js';
import { AccountingError } from './errors.js';
import { Ledger } from './ledger.js';
import { assertRelation } from './relation.js';
import { assertCount, assertDpEvent } from './validate.js';

/** What every accountant offers (docs/design.md "Accounting contract"). */
export interface PrivacyAccountant {
  readonly neighboringRelation: NeighboringRelation;
  /** True when `event` is well formed and this accountant can compose it. Pure. */
  supports(event: DpEvent): boolean;
  /** Composes `event` `count` times; validates fully first and throws AccountingError without changing state. */
  compose(event: DpEvent, count?: number): this;
  /** Smallest epsilon such that the composition is (epsilon, delta)-DP; Infinity for non_private. */
  getEpsilon(delta: number): number;
  /** Smallest delta such that the composition is (epsilon, delta)-DP. */
  getDelta(epsilon: number): number;
  /** Everything composed so far, as one run-length merged `composed` event. */
  readonly ledger: DpEvent;
}

/** A leaf is any event that is not `composed` or `self_composed`. */
export type LeafEvent = Exclude<DpEvent, { kind: 'composed' } | { kind: 'self_composed' }>;

export abstract class BaseAccountant<Cost> implements PrivacyAccountant {
  readonly neighboringRelation: NeighboringRelation;
  private readonly _ledger = new Ledger();

  protected constructor(neighboringRelation: NeighboringRelation) {
    if (neighboringRelation !== 'add_or_remove_one' && neighboringRelation !== 'replace_one') {
      const got = JSON.stringify(neighboringRelation);
      throw new AccountingError('invalid_argument', `unknown neighboring relation ${got}`);
    }
    this.neighboringRelation = neighboringRelation;
  }

  /** Cost of one application of a leaf event; throws AccountingError('unsupported_event', {pointer}). */
  protected abstract leafCost(event: LeafEvent, pointer: string): Cost;
  /** The cost of nothing. */
  protected abstract zeroCost(): Cost;
  /** Sequential composition of two costs. */
  protected abstract combine(a: Cost, b: Cost): Cost;
  /** `cost` composed with itself `count` times (count >= 0 integer). */
  protected abstract repeat(cost: Cost, count: number): Cost;
  /** Adds a fully computed cost to the state. Must not throw. */
  protected abstract apply(cost: Cost): void;
  abstract getEpsilon(delta: number): number;
  abstract getDelta(epsilon: number): number;

  /** Prices a whole event tree without touching state. */
  protected costOf(event: DpEvent, pointer = ''): Cost {
    switch (event.kind) {
      case 'composed':
        return event.events.reduce<Cost>(
          (acc, e, i) => this.combine(acc, this.costOf(e, `${pointer}/events/${i}`)),
          this.zeroCost(),
        );
      case 'self_composed':
        return this.repeat(this.costOf(event.event, `${pointer}/event`), event.count);
      default:
        assertRelation(event, this.neighboringRelation, pointer);
        return this.leafCost(event, pointer);
    }
  }

  supports(event: DpEvent): boolean {
    try {
      assertDpEvent(event);
      this.costOf(event);
      return true;
    } catch (err) {
      if (err instanceof AccountingError) return false;
      throw err;
    }
  }

  compose(event: DpEvent, count = 1): this {
    assertCount(count);
    assertDpEvent(event);
    const cost = this.repeat(this.costOf(event), count);
    this.apply(cost);
    this._ledger.append(event, count);
    return this;
  }

  get ledger(): DpEvent {
    return this._ledger.toEvent();
  }
}

/** Throws the standard refusal for an event an accountant cannot analyse. */
export function unsupported(event: DpEvent, pointer: string, why = ''): never {
  const reason = why ? `: ${why}` : '';
  const message = `event kind '${event.kind}' is not supported${reason} at '${pointer || '/'}'`;
  throw new AccountingError('unsupported_event', message, { pointer });
}
