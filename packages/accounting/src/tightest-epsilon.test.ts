import { describe, expect, it } from 'vitest';
import { AccountingError, PldAccountant, RdpAccountant, dpSgdEvent, tightestEpsilon } from '@dpledger/accounting';

describe('tightestEpsilon (issue 8.13: report the smaller of the valid bounds)', () => {
  it('picks the smaller bound and names it; a tie goes to RDP', () => {
    expect(tightestEpsilon({ rdp: 225.64, pld: 214.88 })).toEqual({ epsilon: 214.88, accountant: 'pld' });
    expect(tightestEpsilon({ rdp: 1.71, pld: 1.9 })).toEqual({ epsilon: 1.71, accountant: 'rdp' });
    expect(tightestEpsilon({ rdp: 2, pld: 2 })).toEqual({ epsilon: 2, accountant: 'rdp' });
  });

  it('skips bounds not computed, and never lets a faulty figure (NaN, negative) through', () => {
    expect(tightestEpsilon({ rdp: 3, pld: null })).toEqual({ epsilon: 3, accountant: 'rdp' });
    expect(tightestEpsilon({ pld: 0.5 })).toEqual({ epsilon: 0.5, accountant: 'pld' });
    expect(tightestEpsilon({ rdp: 3, pld: Number.NaN })).toEqual({ epsilon: 3, accountant: 'rdp' });
    expect(tightestEpsilon({ rdp: -1, pld: 4 })).toEqual({ epsilon: 4, accountant: 'pld' });
    expect(tightestEpsilon({ rdp: Number.NaN })).toEqual({ epsilon: Infinity, accountant: 'rdp' });
    expect(tightestEpsilon({ rdp: Infinity, pld: Infinity }).epsilon).toBe(Infinity);
    expect(() => tightestEpsilon({})).toThrow(AccountingError);
    expect(() => tightestEpsilon({ rdp: null, pld: undefined })).toThrow(AccountingError);
  });

  it('on a real ledger it is the smaller of what the two accountants say', () => {
    const event = dpSgdEvent(0.01, 1.1, 1000);
    const rdp = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(event).getEpsilon(1e-5);
    const pld = new PldAccountant().compose(event).getEpsilon(1e-5);
    expect(tightestEpsilon({ rdp, pld })).toEqual({
      epsilon: Math.min(rdp, pld),
      accountant: pld < rdp ? 'pld' : 'rdp',
    });
    expect(tightestEpsilon({ rdp, pld }).accountant).toBe('pld'); // 1.5154 < 1.7118 (fixtures/readme-example.json)
  });
});
