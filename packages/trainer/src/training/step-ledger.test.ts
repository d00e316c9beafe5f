import { describe, expect, it } from 'vitest';
import { RdpAccountant, type DpEvent } from '@dpledger/accounting';
import { StepLedger } from './step-ledger.js';

const g = (s: number): DpEvent => ({ kind: 'poisson_sampled', sampling_probability: 0.01, event: { kind: 'gaussian', noise_multiplier: s } });

describe('StepLedger', () => {
  it('records every authorized step in order, composing runs of one event at once', async () => {
    const ledger = new StepLedger(new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }));
    for (const s of [1, 1, 2, 1]) expect(await ledger.authorize(g(s))).toBe(true);
    const stepwise = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });
    for (const s of [1, 1, 2, 1]) stepwise.compose(g(s));
    expect(ledger.local.ledger).toEqual(stepwise.ledger);
    expect(ledger.local.getEpsilon(1e-5)).toBeCloseTo(stepwise.getEpsilon(1e-5), 12);
    await ledger.authorize(g(1));
    expect(ledger.local.ledger).toEqual(stepwise.compose(g(1)).ledger);
  });

  it('refuses an event the accountant cannot price, recording nothing', async () => {
    const ledger = new StepLedger(new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }));
    await expect(ledger.authorize({ kind: 'unsupported' } as DpEvent)).rejects.toThrow(/cannot account/);
    expect(ledger.local.ledger).toEqual({ kind: 'composed', events: [] });
  });
});
