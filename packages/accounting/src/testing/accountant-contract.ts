/**
 * The contract every accountant passes (dp_accounting's PrivacyAccountantTest idea), as a reusable vitest suite:
 * `describeAccountantContract('RdpAccountant', () => new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }))`.
 * Not part of the package build (it imports vitest); import it by relative path from a test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PrivacyAccountant } from '../accountant.js';
import type { DpEvent, DpEventKind } from '../dp-event.js';
import { AccountingError } from '../errors.js';

export interface ContractOptions {
  /** fast-check runs per property (keep the suite fast for expensive accountants). Default 25. */
  numRuns?: number;
  /** Relative tolerance when comparing epsilons/deltas of equivalent compositions. Default 1e-9. */
  relTol?: number;
  /** The delta at which epsilons are compared. Default 1e-5. */
  delta?: number;
}

const d = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const mechanism = fc.oneof(
  d(0.6, 5).map((s): DpEvent => ({ kind: 'gaussian', noise_multiplier: s })),
  d(0.6, 5).map((s): DpEvent => ({ kind: 'laplace', noise_multiplier: s })),
);

/** One arbitrary per leaf kind, with parameters in ranges every accountant should handle quickly. */
export const leafArbitraries: Record<Exclude<DpEventKind, 'composed' | 'self_composed'>, fc.Arbitrary<DpEvent>> = {
  no_op: fc.constant({ kind: 'no_op' }),
  non_private: fc.constant({ kind: 'non_private' }),
  unsupported: fc.constant({ kind: 'unsupported' }),
  gaussian: d(0.5, 20).map((s) => ({ kind: 'gaussian', noise_multiplier: s })),
  laplace: d(0.5, 20).map((s) => ({ kind: 'laplace', noise_multiplier: s })),
  epsilon_delta: fc
    .tuple(d(0, 3), fc.oneof(fc.constant(0), d(1e-8, 1e-3)))
    .map(([epsilon, delta]) => ({ kind: 'epsilon_delta', epsilon, delta })),
  zcdp: fc.tuple(d(0, 1), d(0, 0.5)).map(([rho, xi]): DpEvent => ({ kind: 'zcdp', rho, xi })),
  poisson_sampled: fc
    .tuple(d(1e-3, 1), mechanism)
    .map(([q, event]) => ({ kind: 'poisson_sampled', sampling_probability: q, event })),
  sampled_without_replacement: fc
    .tuple(fc.integer({ min: 10, max: 1000 }), d(0.001, 1), mechanism)
    .map(([n, f, event]) => ({
      kind: 'sampled_without_replacement',
      source_dataset_size: n,
      sample_size: Math.max(1, Math.floor(n * f)),
      event,
    })),
};

function close(a: number, b: number, relTol: number): boolean {
  if (a === b) return true;
  return Math.abs(a - b) <= relTol * Math.max(Math.abs(a), Math.abs(b)) + 1e-15;
}

/** Everything observable about an accountant, for "nothing changed" checks. */
function snapshot(acc: PrivacyAccountant, delta: number) {
  return { epsilon: acc.getEpsilon(delta), delta: acc.getDelta(1), ledger: JSON.stringify(acc.ledger) };
}

function expectRefused(fn: () => unknown, code: AccountingError['code'], pointer?: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AccountingError);
  expect((caught as AccountingError).code).toBe(code);
  if (pointer !== undefined) expect((caught as AccountingError).pointer).toBe(pointer);
}

/** Registers the accountant contract suite for `factory` under `name`. */
export function describeAccountantContract(
  name: string,
  factory: () => PrivacyAccountant,
  options: ContractOptions = {},
): void {
  const numRuns = options.numRuns ?? 25;
  const relTol = options.relTol ?? 1e-9;
  const delta = options.delta ?? 1e-5;
  const unsupportedEvent: DpEvent = { kind: 'unsupported' };

  describe(`${name}: accountant contract`, () => {
    it('an empty ledger costs nothing', () => {
      const acc = factory();
      expect(acc.getEpsilon(delta)).toBe(0);
      expect(acc.getDelta(0.5)).toBe(0);
      expect(acc.ledger).toEqual({ kind: 'composed', events: [] });
    });

    it('non_private gives epsilon Infinity and delta 1', () => {
      const acc = factory().compose({ kind: 'non_private' });
      expect(acc.getEpsilon(delta)).toBe(Infinity);
      expect(acc.getDelta(10)).toBe(1);
    });

    it.each([
      ['bare', unsupportedEvent, ''],
      ['inside composed', { kind: 'composed', events: [{ kind: 'no_op' }, unsupportedEvent] } as DpEvent, '/events/1'],
      ['inside self_composed', { kind: 'self_composed', count: 3, event: unsupportedEvent } as DpEvent, '/event'],
      [
        'three levels deep',
        {
          kind: 'composed',
          events: [{ kind: 'self_composed', count: 2, event: { kind: 'composed', events: [unsupportedEvent] } }],
        } as DpEvent,
        '/events/0/event/events/0',
      ],
    ])('unsupported %s is refused with its pointer', (_label, event, pointer) => {
      const acc = factory();
      expect(acc.supports(event)).toBe(false);
      expectRefused(() => acc.compose(event), 'unsupported_event', pointer);
      expect(acc.ledger).toEqual({ kind: 'composed', events: [] });
    });

    for (const [kind, arb] of Object.entries(leafArbitraries)) {
      it(`compose(e, n) == n x compose(e) == compose(self_composed(e, n)) for ${kind}`, () => {
        fc.assert(
          fc.property(arb, fc.integer({ min: 0, max: 12 }), (event, n) => {
            const probe = factory();
            if (!probe.supports(event)) {
              expectRefused(() => probe.compose(event, n), 'unsupported_event');
              expect(probe.ledger).toEqual({ kind: 'composed', events: [] });
              return;
            }
            const a = factory().compose(event, n);
            const b = factory();
            for (let i = 0; i < n; i++) b.compose(event);
            const c = factory().compose({ kind: 'self_composed', event, count: n });
            for (const other of [b, c]) {
              expect(close(a.getEpsilon(delta), other.getEpsilon(delta), relTol)).toBe(true);
              expect(close(a.getDelta(1), other.getDelta(1), relTol)).toBe(true);
              expect(other.ledger).toEqual(a.ledger);
            }
          }),
          { numRuns },
        );
      });
    }

    it('a rejected compose leaves state and ledger exactly as before', () => {
      const good: DpEvent = { kind: 'gaussian', noise_multiplier: 2 };
      const acc = factory().compose(good, 3);
      const before = snapshot(acc, delta);
      expectRefused(
        () => acc.compose({ kind: 'composed', events: [good, good, unsupportedEvent] }),
        'unsupported_event',
        '/events/2',
      );
      expectRefused(
        () => acc.compose({ kind: 'gaussian', noise_multiplier: -1 } as DpEvent),
        'invalid_event',
        '/noise_multiplier',
      );
      expectRefused(() => acc.compose(good, -1), 'invalid_argument');
      expectRefused(() => acc.compose(good, 1.5), 'invalid_argument');
      expect(snapshot(acc, delta)).toEqual(before);
    });

    it('supports() is pure: same answer twice, no state change', () => {
      fc.assert(
        fc.property(fc.oneof(...Object.values(leafArbitraries)), (event) => {
          const acc = factory().compose({ kind: 'gaussian', noise_multiplier: 3 });
          const before = snapshot(acc, delta);
          const first = acc.supports(event);
          expect(acc.supports(event)).toBe(first);
          expect(acc.supports({ kind: 'composed', events: [event, event] })).toBe(first);
          expect(snapshot(acc, delta)).toEqual(before);
        }),
        { numRuns },
      );
    });
  });
}
