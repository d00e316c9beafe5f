import { describe, expect, it } from 'vitest';
import { RdpAccountant, type DpEvent } from '@dpledger/accounting';
import { StepLedger, type ReservationClient } from './step-ledger.js';

const g = (s: number): DpEvent => ({
  kind: 'poisson_sampled',
  sampling_probability: 0.01,
  event: { kind: 'gaussian', noise_multiplier: s },
});

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

/** A fake accountant run: reservations with an expiry, commits with an idempotency key, a settable clock. */
function fakeRemote(opts: { ttlMs?: number } = {}) {
  const clock = { now: 0 };
  const calls: string[] = [];
  const commits = new Map<string, { used: number; key?: string }>();
  let ids = 0;
  let failCommits = 0;
  let loggedAtExpiry: number | undefined;
  const client: ReservationClient = {
    async reserve(_runId, body) {
      await Promise.resolve();
      calls.push(`reserve ${body.steps} ttl ${body.ttl_seconds}`);
      return {
        id: `r${++ids}`,
        steps: body.steps,
        expires_at: new Date(clock.now + (opts.ttlMs ?? 60_000)).toISOString(),
      };
    },
    async commit(id, used, o) {
      calls.push(`commit ${id} ${used} ${o?.idempotencyKey}`);
      if (failCommits > 0) {
        failCommits--;
        throw Object.assign(new Error('network'), { code: 'network_error', status: 0 });
      }
      commits.set(id, { used, key: o?.idempotencyKey });
      return loggedAtExpiry === undefined ? { logged_steps: used } : { logged_steps: loggedAtExpiry };
    },
  };
  return {
    clock,
    calls,
    commits,
    failNext: (n: number) => (failCommits = n),
    logAtExpiry: (n: number) => (loggedAtExpiry = n),
    remote: { client, runId: 'run-1', reserveSteps: 10, ttlSeconds: 60, clock: () => clock.now },
  };
}
const rdp = () => new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });

describe('StepLedger against a remote run', () => {
  it('keeps a failed commit with its count, retries it (same key) before anything else; never drops it', async () => {
    const f = fakeRemote();
    const ledger = new StepLedger(rdp(), f.remote);
    for (let i = 0; i < 10; i++) expect(await ledger.authorize(g(1))).toBe(true);
    f.failNext(1);
    await expect(ledger.authorize(g(1))).rejects.toThrow(/network/); // the 11th step is not authorized
    expect(f.commits.size).toBe(0);
    expect(await ledger.authorize(g(1))).toBe(true); // retries r1's commit first, then reserves r2
    expect(f.commits.get('r1')).toEqual({ used: 10, key: 'r1:commit:10' });
    f.failNext(1);
    await expect(ledger.flush()).rejects.toThrow(/network/);
    await ledger.flush();
    expect(f.commits.get('r2')).toEqual({ used: 1, key: 'r2:commit:1' });
    expect(f.calls.filter((c) => c.startsWith('commit r1'))).toEqual([
      'commit r1 10 r1:commit:10',
      'commit r1 10 r1:commit:10',
    ]);
    expect(ledger.local.ledger).toEqual(rdp().compose(g(1), 11).ledger);
  });

  it('commits and reserves again before expires_at (with a margin), never using an expired reservation', async () => {
    const f = fakeRemote();
    const ledger = new StepLedger(rdp(), f.remote);
    await ledger.authorize(g(1));
    f.clock.now = 53_000; // before expiry minus the 6 s margin
    await ledger.authorize(g(1));
    f.clock.now = 54_000;
    await ledger.authorize(g(1));
    expect(f.calls).toEqual(['reserve 10 ttl 60', 'commit r1 2 r1:commit:2', 'reserve 10 ttl 60']);
    // The service's expires_at bounds it too: a reservation that expires in 10 s is renewed after 9 s.
    const g2 = fakeRemote({ ttlMs: 10_000 });
    const l2 = new StepLedger(rdp(), g2.remote);
    await l2.authorize(g(1));
    g2.clock.now = 9_000;
    await l2.authorize(g(1));
    expect(g2.calls).toEqual(['reserve 10 ttl 60', 'commit r1 1 r1:commit:1', 'reserve 10 ttl 60']);
  });

  it('mirrors the steps the service logged at expiry, so the local ledger equals the remote one', async () => {
    const f = fakeRemote();
    const ledger = new StepLedger(rdp(), f.remote);
    for (let i = 0; i < 3; i++) await ledger.authorize(g(1));
    f.logAtExpiry(10);
    await ledger.authorize(g(2));
    expect(ledger.local.ledger).toEqual(rdp().compose(g(1), 10).compose(g(2)).ledger);
  });

  it('serialises overlapping calls: two concurrent steps share one reservation, none is orphaned', async () => {
    const f = fakeRemote();
    const ledger = new StepLedger(rdp(), f.remote);
    expect(await Promise.all([ledger.authorize(g(1)), ledger.authorize(g(1)), ledger.authorize(g(1))])).toEqual([
      true,
      true,
      true,
    ]);
    await ledger.flush();
    expect(f.calls).toEqual(['reserve 10 ttl 60', 'commit r1 3 r1:commit:3']);
  });

  it('on resume refuses a run that is ahead of the checkpoint or holds other steps, writing nothing', async () => {
    const appended: unknown[] = [];
    const run = (ledger: DpEvent, event_count: number) => ({
      ...fakeRemote().remote,
      client: {
        ...fakeRemote().remote.client,
        getRun: async () => ({ status: 'open', event_count, ledger }),
        appendEvents: async (_id: string, events: DpEvent[]) => void appended.push(...events),
      },
    });
    const ckpt = rdp().compose(g(1), 5).ledger;
    await expect(new StepLedger(rdp(), run(rdp().compose(g(1), 6).ledger, 6)).syncRemote(ckpt)).rejects.toMatchObject({
      code: 'ledger_mismatch',
      message: /already has 6 steps but the checkpoint has 5/,
    });
    await expect(new StepLedger(rdp(), run(rdp().compose(g(2), 2).ledger, 2)).syncRemote(ckpt)).rejects.toMatchObject({
      code: 'ledger_mismatch',
      message: /not a prefix/,
    });
    expect(appended).toEqual([]);
    await new StepLedger(rdp(), run(rdp().compose(g(1), 2).ledger, 2)).syncRemote(ckpt);
    expect(appended).toEqual([g(1), g(1), g(1)]);
  });
});
