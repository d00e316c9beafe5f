import { RdpAccountant, type DpEvent } from '@dpledger/accounting';
import { describe, expect, it } from 'vitest';
import type { BudgetRow } from '../store/store.js';
import { ServiceError } from '../errors.js';
import { Meters, assess } from './meters.js';
import { pldEpsilon } from './pld-epsilon.js';
import ref from './fixtures/pld-reference.json' with { type: 'json' };

const step: DpEvent = {
  kind: 'poisson_sampled',
  sampling_probability: 0.01,
  event: { kind: 'gaussian', noise_multiplier: 1.1 },
};
const budget = (epsilon: number, accountant: 'rdp' | 'pld'): BudgetRow => ({
  id: 'b',
  tenant: 't',
  name: 'b',
  epsilon,
  delta: 1e-5,
  accountant,
  neighboring_relation: 'add_or_remove_one',
  created_at: '',
  epsilon_spent: 0,
  epsilon_reserved: 0,
  rdp: [],
  ledger: [],
  run_count: 0,
});

function proposal(meters: Meters, steps: number) {
  const meter = meters.rdp('add_or_remove_one');
  return {
    committedRdp: meter.add(meter.zero(), [step], steps),
    heldRdp: meter.zero(),
    committedLedger: [{ kind: 'self_composed', count: steps, event: step } as DpEvent],
    heldEvents: [],
  };
}

describe('assess', () => {
  it('prices by the running RDP vector exactly as RdpAccountant does', () => {
    const meters = new Meters(pldEpsilon);
    const got = assess(meters, budget(10, 'rdp'), proposal(meters, 1000));
    const want = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(step, 1000).getEpsilon(1e-5);
    expect(got.epsilon_spent).toBe(want);
    expect(got.epsilon_reserved).toBe(want);
  });

  it('consults PLD only when RDP alone would refuse, memoizes it, and refuses past both', () => {
    let calls = 0;
    const meters = new Meters((r, l, d) => (calls++, pldEpsilon(r, l, d)));
    const rdp1000 = meters.rdp('add_or_remove_one').epsilon(proposal(meters, 1000).committedRdp, 1e-5).epsilon;
    assess(meters, budget(rdp1000 + 0.01, 'pld'), proposal(meters, 1000));
    expect(calls).toBe(0);
    const limit = rdp1000 - 0.05;
    const ok = assess(meters, budget(limit, 'pld'), proposal(meters, 1000));
    expect(ok.epsilon_reserved).toBeLessThanOrEqual(limit);
    const after = calls;
    expect(after).toBeGreaterThan(0);
    assess(meters, budget(limit, 'pld'), proposal(meters, 1000));
    expect(calls).toBe(after);
    expect(() => assess(meters, budget(limit, 'rdp'), proposal(meters, 1000))).toThrow(ServiceError);
    expect(() => assess(meters, budget(0.5, 'pld'), proposal(meters, 1000))).toThrow(ServiceError);
  });

  it('a pld budget is sound and useful against dp_accounting and PRV reference figures', () => {
    // The true epsilon is at least the PRV lower bound: any budget below it must refuse; one a little above
    // dp_accounting's PLD figure must accept though RDP alone would refuse.
    const meters = new Meters(pldEpsilon);
    const e = ref.event as DpEvent;
    const meter = meters.rdp('add_or_remove_one');
    const p = {
      committedRdp: meter.add(meter.zero(), [e], ref.steps),
      heldRdp: meter.zero(),
      committedLedger: [{ kind: 'self_composed', count: ref.steps, event: e } as DpEvent],
      heldEvents: [],
    };
    const b = (epsilon: number, accountant: 'rdp' | 'pld') => ({ ...budget(epsilon, accountant), delta: ref.delta });
    const generous = ref['dp_accounting_pld_1e-4'] + 0.01;
    expect(meter.epsilon(p.committedRdp, ref.delta).epsilon).toBeGreaterThan(generous);
    expect(assess(meters, b(generous, 'pld'), p).epsilon_spent).toBeCloseTo(ref['dp_accounting_pld_1e-4'], 2);
    expect(() => assess(meters, b(generous, 'rdp'), p)).toThrow(ServiceError);
    expect(() => assess(meters, b(ref.prv_eps_lower - 1e-6, 'pld'), p)).toThrow(ServiceError);
  });

  it('a pld budget at epsilon ~140 is charged the smaller valid bound, which is PLD again (issue 8.13)', () => {
    // q=0.5, sigma=0.5, 100 steps, delta 1e-5: RDP 146.7 (RdpAccountant here), PLD 137.16 (PldAccountant, checked
    // against a grid that fits it); the grid that wrapped gave PLD 214.0, so this budget was refused.
    const e: DpEvent = {
      kind: 'poisson_sampled',
      sampling_probability: 0.5,
      event: { kind: 'gaussian', noise_multiplier: 0.5 },
    };
    const meters = new Meters(pldEpsilon);
    const meter = meters.rdp('add_or_remove_one');
    const p = {
      committedRdp: meter.add(meter.zero(), [e], 100),
      heldRdp: meter.zero(),
      committedLedger: [{ kind: 'self_composed', count: 100, event: e } as DpEvent],
      heldEvents: [],
    };
    const rdp = meter.epsilon(p.committedRdp, 1e-5).epsilon;
    expect(rdp).toBeGreaterThan(146);
    const got = assess(meters, budget(140, 'pld'), p);
    expect(got.epsilon_spent).toBeLessThan(138);
    expect(got.epsilon_spent).toBeGreaterThan(136);
    expect(() => assess(meters, budget(140, 'rdp'), p)).toThrow(ServiceError);
  });
});
