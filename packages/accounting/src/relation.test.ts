import { describe, expect, it } from 'vitest';
import { AccountingError, PldAccountant, RdpAccountant, type DpEvent, type NeighboringRelation } from './index.js';

const rdp = (r: NeighboringRelation) => new RdpAccountant({ neighboringRelation: r });
const pld = (r: NeighboringRelation) => new PldAccountant({ neighboringRelation: r });

function refusal(f: () => unknown): AccountingError {
  try {
    f();
  } catch (err) {
    if (err instanceof AccountingError) return err;
    throw err;
  }
  throw new Error('expected an AccountingError');
}

describe('events are priced under the relation of the ledger they enter (issue 8 item 5)', () => {
  it('a zcdp event without neighboring_relation is add_or_remove_one: a replace_one accountant refuses it', () => {
    const ev: DpEvent = { kind: 'zcdp', rho: 0.1, xi: 0 };
    expect(rdp('add_or_remove_one').supports(ev)).toBe(true);
    const acc = rdp('replace_one');
    expect(acc.supports(ev)).toBe(false);
    const err = refusal(() => acc.compose(ev, 3));
    expect(err.code).toBe('unsupported_event');
    expect(acc.getEpsilon(1e-5)).toBe(0); // nothing composed
    expect(acc.ledger).toEqual({ kind: 'composed', events: [] });
  });

  it('a tagged zcdp event enters only a ledger of its relation, and is priced as given there', () => {
    const replace: DpEvent = { kind: 'zcdp', rho: 0.1, xi: 0, neighboring_relation: 'replace_one' };
    expect(rdp('add_or_remove_one').supports(replace)).toBe(false);
    expect(rdp('replace_one').compose(replace, 2).getEpsilon(1e-5)).toBeCloseTo(
      rdp('add_or_remove_one').compose({ kind: 'zcdp', rho: 0.2, xi: 0 }).getEpsilon(1e-5),
      12,
    );
    expect(
      rdp('replace_one').supports({ kind: 'zcdp', rho: 0.1, xi: 0, neighboring_relation: 'add_or_remove_one' }),
    ).toBe(false);
  });

  it('RDP and PLD refuse gaussian/laplace tagged with the other relation (with pointer); untagged are relative', () => {
    const ev: DpEvent = { kind: 'gaussian', noise_multiplier: 2, neighboring_relation: 'replace_one' };
    for (const acc of [rdp('add_or_remove_one'), pld('add_or_remove_one')]) {
      expect(acc.supports(ev)).toBe(false);
      expect(acc.supports({ kind: 'laplace', noise_multiplier: 2, neighboring_relation: 'replace_one' })).toBe(false);
      const nested: DpEvent = {
        kind: 'composed',
        events: [{ kind: 'no_op' }, { kind: 'self_composed', count: 4, event: ev }],
      };
      expect(refusal(() => acc.compose(nested)).pointer).toBe('/events/1/event');
      expect(acc.supports({ kind: 'gaussian', noise_multiplier: 2 })).toBe(true);
      expect(acc.supports({ ...ev, neighboring_relation: 'add_or_remove_one' })).toBe(true);
    }
    expect(rdp('replace_one').supports(ev)).toBe(true);
    expect(pld('replace_one').supports(ev)).toBe(true);
  });

  it('the mechanism inside a sampled event is checked too', () => {
    const ev: DpEvent = {
      kind: 'poisson_sampled',
      sampling_probability: 0.1,
      event: { kind: 'gaussian', noise_multiplier: 1, neighboring_relation: 'replace_one' },
    };
    expect(refusal(() => rdp('add_or_remove_one').compose(ev)).pointer).toBe('/event');
    expect(pld('add_or_remove_one').supports(ev)).toBe(false);
  });

  it('an unknown relation value is an invalid event', () => {
    const bad = { kind: 'zcdp', rho: 0.1, neighboring_relation: 'swap' } as unknown as DpEvent;
    expect(refusal(() => rdp('add_or_remove_one').compose(bad)).code).toBe('invalid_event');
  });
});
