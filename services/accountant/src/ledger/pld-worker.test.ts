import { RdpAccountant, type DpEvent } from '@dpledger/accounting';
import { afterAll, describe, expect, it } from 'vitest';
import type { BudgetRow } from '../store/store.js';
import { ServiceError } from '../errors.js';
import { Meters, assess, withPld } from './meters.js';
import { pldEpsilon } from './pld-epsilon.js';
import { PldUnavailable, PldWorker } from './pld-worker.js';

const step: DpEvent = {
  kind: 'poisson_sampled',
  sampling_probability: 0.01,
  event: { kind: 'gaussian', noise_multiplier: 1.1 },
};
const ledger: DpEvent[] = [{ kind: 'self_composed', count: 1000, event: step }];
const rdp1000 = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' }).compose(step, 1000).getEpsilon(1e-5);
const budget = (epsilon: number): BudgetRow => ({
  id: 'b',
  tenant: 't',
  name: 'b',
  epsilon,
  delta: 1e-5,
  accountant: 'pld',
  neighboring_relation: 'add_or_remove_one',
  created_at: '',
  epsilon_spent: 0,
  epsilon_reserved: 0,
  rdp: [],
  ledger: [],
  run_count: 0,
});
const workers: PldWorker[] = [];
const worker = (timeLimitMs: number) => {
  const w = new PldWorker({ timeLimitMs });
  workers.push(w);
  return w;
};
afterAll(async () => Promise.all(workers.map((w) => w.close())));

/** An operation that checks 1000 steps against `limit` with PLD from `meters`, as a write transaction would. */
function check(meters: Meters, limit: number) {
  const meter = meters.rdp('add_or_remove_one');
  return withPld(async () =>
    assess(meters, budget(limit), {
      committedRdp: meter.add(meter.zero(), [step], 1000),
      heldRdp: meter.zero(),
      committedLedger: ledger,
      heldEvents: [],
    }),
  );
}

describe('PLD off the event loop', () => {
  it('the worker gives the same figure as the inline accountant, and does not keep the process alive', async () => {
    const ports = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker').length;
    const before = ports();
    expect(await worker(60_000).epsilon('add_or_remove_one', ledger, 1e-5)).toBe(
      pldEpsilon('add_or_remove_one', ledger, 1e-5),
    );
    // A ref'd worker port kept `dpledger serve` running after SIGTERM until it was killed.
    expect(ports()).toBe(before);
  });

  it('a figure not computed in time rejects, ends the worker, and the next call gets a fresh one', async () => {
    const w = worker(1);
    await expect(w.epsilon('add_or_remove_one', ledger, 1e-5)).rejects.toBeInstanceOf(PldUnavailable);
    const slowQueue = worker(60_000);
    expect(await slowQueue.epsilon('add_or_remove_one', [step], 1e-5)).toBeGreaterThan(0);
  });

  it("when a pld budget's PLD figure times out, the RDP bound decides: refused, never a lower epsilon", async () => {
    const limit = rdp1000 - 0.05; // fits by PLD (~1.5154), not by RDP
    await expect(check(new Meters(worker(1).epsilon), limit)).rejects.toSatisfy(
      (e) => e instanceof ServiceError && e.code === 'budget_exhausted',
    );
    // With time to answer, the same check waits for the worker outside the "transaction", retries, and accepts.
    const ok = await check(new Meters(worker(60_000).epsilon), limit);
    expect(ok.epsilon_reserved).toBeLessThanOrEqual(limit);
    expect(ok.epsilon_reserved).toBe(pldEpsilon('add_or_remove_one', ledger, 1e-5));
  });

  it('an assessment never waits for the worker: a miss refuses at once and hands the computation to withPld', () => {
    const meters = new Meters(worker(60_000).epsilon);
    const meter = meters.rdp('add_or_remove_one');
    const t0 = performance.now();
    expect(() =>
      assess(meters, budget(rdp1000 - 0.05), {
        committedRdp: meter.add(meter.zero(), [step], 1000),
        heldRdp: meter.zero(),
        committedLedger: ledger,
        heldEvents: [],
      }),
    ).toThrow(ServiceError);
    expect(performance.now() - t0).toBeLessThan(100);
  });
});
