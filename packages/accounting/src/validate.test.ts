import { describe, expect, it } from 'vitest';
import { AccountingError, RdpAccountant, assertDpEvent, type DpEvent } from '@dpledger/accounting';
import { dpEventProblem } from '@dpledger/api';

const bad = { kind: 'poisson_sampled', sampling_probability: 1.5, event: { kind: 'gaussian', noise_multiplier: 1 } };

describe("assertDpEvent: the accountants guard with @dpledger/api's validator", () => {
  it("throws AccountingError(invalid_event) carrying the validator's pointer and message", () => {
    const problem = dpEventProblem(bad)!;
    expect(problem.pointer).toBe('/sampling_probability');
    let thrown: unknown;
    try {
      assertDpEvent(bad);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AccountingError);
    expect(thrown).toMatchObject({ code: 'invalid_event', pointer: problem.pointer, message: problem.message });
  });

  it('keeps a refused event out of the ledger', () => {
    const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });
    expect(acc.supports(bad as DpEvent)).toBe(false);
    expect(() => acc.compose(bad as DpEvent)).toThrow(AccountingError);
    expect(acc.getEpsilon(1e-5)).toBe(0);
  });
});
