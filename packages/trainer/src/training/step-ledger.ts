/**
 * Where each step's DpEvent goes BEFORE its noise is released and its update applied.
 * Local: composed into an accountant. Remote: steps are reserved ahead on the accountant service in chunks
 * (`reserveSteps`); a refusal (HTTP 409, code `budget_exhausted`) is retried with half the chunk down to one step,
 * so training stops exactly at the last step the budget allows. Used counts are committed; unused ones released.
 * A reservation is committed (and a new one made) before its `expires_at`, with a margin; a commit that fails
 * keeps its count and is retried before anything else (the steps were taken: they are never dropped), and one the
 * service had already logged at expiry answers how many steps it logged, which the local ledger then mirrors.
 * Calls are serialised, so two overlapping steps cannot orphan a reservation.
 * A local accountant always mirrors what was authorized, so epsilon can be read without a round trip. Repeats of the
 * same event are recorded as a pending count and composed as `compose(event, count)` (one call, same result by the
 * accountant's count-homogeneity) whenever the ledger or epsilon is read or the event changes: PLD composition
 * costs ~0.1 s per call, which per step would rival the step itself.
 */
import type { DpEvent, NeighboringRelation, PrivacyAccountant } from '@dpledger/accounting';
import { Ledger, stableKey } from '@dpledger/accounting';
import { fail } from './fail.js';
import { SerialQueue } from './serial-queue.js';

/** The part of the @dpledger/client the trainer needs (structural, so any conforming client works). */
export interface ReservationClient {
  reserve(
    runId: string,
    body: { steps: number; event: DpEvent; ttl_seconds?: number },
  ): Promise<{ id: string; steps: number; expires_at: string }>;
  /** Answers `logged_steps` (the reservation's steps in the service's ledger) when the service reports it. */
  commit(reservationId: string, used: number, o?: { idempotencyKey?: string }): Promise<unknown>;
  /** Resume only: the run's record count and run-length merged ledger. */
  getRun?(runId: string): Promise<{ status: string; event_count: number; ledger?: DpEvent }>;
  /** Resume only: appends the checkpoint's steps the run is missing (refused unless the run has `firstSequence`). */
  appendEvents?(
    runId: string,
    events: DpEvent[],
    o?: { idempotencyKey?: string; firstSequence?: number },
  ): Promise<unknown>;
  /** Takes the one-run audit of the run (optional: @dpledger/client has it). */
  submitAudit?(
    runId: string,
    body: { canary_kind: 'gradient' | 'input'; scores: number[]; included: boolean[] },
  ): Promise<unknown>;
}

/** A remote run to account against. */
export interface RemoteAccountant {
  client: ReservationClient;
  runId: string;
  /** Steps reserved per request (default 100). */
  reserveSteps?: number;
  /** Seconds a reservation holds budget before the service logs it as fully used (default 3600). */
  ttlSeconds?: number;
  /** The trainer's clock in ms since the epoch (default Date.now). */
  clock?: () => number;
  /**
   * The neighbouring relation of the run's budget (default: the trainer's). The trainer prices its events under it;
   * the service refuses an event tagged with another relation (unsupported_event).
   */
  neighboringRelation?: NeighboringRelation;
}

/** Default `ttlSeconds`: the service's default reservation lifetime. */
export const DEFAULT_TTL_SECONDS = 3600;
/** Events per backfill append on resume (well under the service's request size limits). */
export const BACKFILL_CHUNK = 1000;

/**
 * How long before a reservation expires it is committed and renewed: a tenth of its lifetime, 1 s to 60 s.
 * @example renewMarginMs(3600) // 60000
 */
export function renewMarginMs(ttlSeconds: number): number {
  return Math.min(60_000, Math.max(1000, (ttlSeconds * 1000) / 10));
}

/**
 * True for the client's BudgetExhaustedError (code 'budget_exhausted') or any error carrying HTTP status 409.
 * @example isBudgetRefusal({ code: 'budget_exhausted' }) // true
 */
export function isBudgetRefusal(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; status?: unknown };
  return e.code === 'budget_exhausted' || e.status === 409;
}

interface Reservation {
  id: string;
  steps: number;
  used: number;
  event: DpEvent;
  eventKey: string;
  /** Local time (ms) after which the reservation is committed and renewed rather than used. */
  renewAt: number;
  /** Set once a commit was attempted: its count is final and no further step may use it. */
  closing: boolean;
}

/** A ledger as runs of one step event (Ledger.of): composed([e1, self_composed(e2, n)]) -> [(e1, 1), (e2, n)]. */
function stepRuns(ledger: DpEvent | undefined): { event: DpEvent; key: string; count: number }[] {
  return Ledger.of(ledger)
    .runs()
    .map((r) => ({ ...r, key: stableKey(r.event) }));
}

/** `logged_steps` of a commit answer, when it carries one. */
function loggedSteps(answer: unknown): number | undefined {
  const n = (answer as { logged_steps?: unknown } | null | undefined)?.logged_steps;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Authorizes steps against a local accountant and, optionally, a remote run. */
export class StepLedger {
  private current: Reservation | null = null;
  private exhausted = false;
  private pending: { event: DpEvent; key: string; count: number } | null = null;
  private readonly supported = new Set<string>();
  private readonly queue = new SerialQueue();

  constructor(
    private readonly accountant: PrivacyAccountant,
    readonly remote?: RemoteAccountant,
  ) {}

  /** Runs `fn` once every earlier call has finished: one reservation is open at a time, never two. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(fn);
  }

  private now(): number {
    return (this.remote?.clock ?? Date.now)();
  }

  /** The local accountant with every authorized step composed into it. */
  get local(): PrivacyAccountant {
    this.settle();
    return this.accountant;
  }

  private settle(): void {
    if (!this.pending) return;
    const { event, count } = this.pending;
    this.pending = null;
    this.accountant.compose(event, count);
  }

  private record(event: DpEvent, key: string, count: number): void {
    if (this.pending && this.pending.key !== key) this.settle(); // compose the previous run of events first
    if (this.pending) this.pending.count += count;
    else this.pending = { event, key, count };
  }

  /** True when the local accountant can account `event` (checked once per distinct event). */
  supports(event: DpEvent): boolean {
    const key = stableKey(event);
    if (this.supported.has(key)) return true;
    if (!this.accountant.supports(event)) return false;
    this.supported.add(key);
    return true;
  }

  /** True once the remote budget refused a step. */
  get budgetExhausted(): boolean {
    return this.exhausted;
  }

  /**
   * Records one application of `event`; resolves false (and records nothing) when the remote budget refuses it.
   * Rejects (recording nothing) when an earlier reservation's commit fails; the next call retries that commit.
   * @example if (!(await ledger.authorize(ev))) stop();
   */
  authorize(event: DpEvent): Promise<boolean> {
    return this.serial(() => this.authorizeNow(event));
  }

  private async authorizeNow(event: DpEvent): Promise<boolean> {
    if (!this.supports(event)) fail('invalid_argument', `the local accountant cannot account ${event.kind} events`);
    const key = stableKey(event);
    if (this.remote) {
      if (this.exhausted) return false;
      const c = this.current;
      const done = c !== null && (c.closing || c.eventKey !== key || c.used >= c.steps || this.now() >= c.renewAt);
      if (done) await this.commitCurrent();
      if (!this.current) {
        this.current = await this.reserve(event, key);
        if (!this.current) {
          this.exhausted = true;
          return false;
        }
      }
      this.current.used++;
    }
    this.record(event, key, 1);
    return true;
  }

  private async reserve(event: DpEvent, eventKey: string): Promise<Reservation | null> {
    const remote = this.remote!;
    const ttl = remote.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    for (let steps = Math.max(1, Math.floor(remote.reserveSteps ?? 100)); steps >= 1; steps = Math.floor(steps / 2)) {
      try {
        const sentAt = this.now();
        const r = await remote.client.reserve(remote.runId, { steps, event, ttl_seconds: ttl });
        // The earlier of our own clock's bound and the service's expires_at (either clock may run ahead).
        const expires = Math.min(sentAt + ttl * 1000, Date.parse(r.expires_at) || Infinity);
        const renewAt = expires - renewMarginMs(ttl);
        return { id: r.id, steps: Math.min(steps, r.steps), used: 0, event, eventKey, renewAt, closing: false };
      } catch (err) {
        if (!isBudgetRefusal(err)) throw err;
      }
    }
    return null;
  }

  /**
   * Commits the open reservation's used count (stable idempotency key, so a retry never counts twice). It stays
   * open, with its count, until a commit succeeds. When the service had already logged it at expiry, the local
   * ledger adds the extra steps it logged, so the two ledgers stay equal.
   */
  private async commitCurrent(): Promise<void> {
    const r = this.current;
    if (!r || !this.remote) return;
    r.closing = true;
    let answer: unknown;
    try {
      answer = await this.remote.client.commit(r.id, r.used, { idempotencyKey: `${r.id}:commit:${r.used}` });
    } catch (err) {
      // Already committed (an earlier attempt whose answer was lost): its count is in the ledger.
      if ((err as { code?: unknown } | null)?.code !== 'reservation_closed') throw err;
    }
    this.current = null;
    const logged = loggedSteps(answer) ?? r.used;
    if (logged > r.used) this.record(r.event, r.eventKey, logged - r.used);
  }

  /** Commits the used part of the open reservation (releasing the rest); throws, keeping it, when that fails. */
  flush(): Promise<void> {
    return this.serial(() => this.commitCurrent());
  }

  /**
   * Resume: makes the remote run's ledger match `ledger` (the checkpoint's) before any new step. The run must
   * hold a prefix of it: the missing steps are appended at the run's next sequence number (idempotent,
   * `firstSequence`-guarded). A run with more steps than the checkpoint, or other ones, is refused
   * (`ledger_mismatch`): resuming it would fork the ledger.
   * @example await ledger.syncRemote(checkpoint.ledger)
   */
  syncRemote(ledger: DpEvent): Promise<void> {
    return this.serial(() => this.syncRemoteNow(ledger));
  }

  private async syncRemoteNow(ledger: DpEvent): Promise<void> {
    if (!this.remote) return;
    const { client, runId } = this.remote;
    if (!client.getRun || !client.appendEvents) {
      const msg = 'resuming into a remote run needs a client with getRun and appendEvents';
      fail('invalid_argument', `${msg} (@dpledger/client has both)`);
    }
    const run = await client.getRun(runId);
    if (run.status !== 'open') fail('ledger_mismatch', `run ${runId} is ${run.status}: resume into an open run`);
    const mine = stepRuns(ledger);
    const theirs = stepRuns(run.ledger);
    const count = (rs: { count: number }[]) => rs.reduce((n, r) => n + r.count, 0);
    const need = count(mine);
    if (count(theirs) !== run.event_count) {
      const what = `run ${runId} has ${run.event_count} records that are not one step each`;
      fail('ledger_mismatch', `${what}: it cannot continue this checkpoint`);
    }
    if (run.event_count > need) {
      fail(
        'ledger_mismatch',
        `run ${runId} already has ${run.event_count} steps but the checkpoint has ${need}: the checkpoint is older ` +
          'than the run (or was resumed before); resuming would fork its ledger',
      );
    }
    // Walk the run's steps along the checkpoint's; what is left of the checkpoint is missing from the run.
    const missing = mine.map((r) => ({ ...r }));
    for (const t of theirs) {
      let left = t.count;
      while (left > 0) {
        const m = missing[0]!;
        if (m.key !== t.key) {
          const at = need - count(missing);
          const why = `run ${runId}'s ledger is not a prefix of the checkpoint's`;
          fail('ledger_mismatch', `${why}: they differ at step ${at}`);
        }
        const n = Math.min(left, m.count);
        m.count -= n;
        left -= n;
        if (m.count === 0) missing.shift();
      }
    }
    let seq = run.event_count;
    for (const m of missing) {
      for (let done = 0; done < m.count;) {
        const n = Math.min(BACKFILL_CHUNK, m.count - done);
        try {
          const events = Array.from({ length: n }, () => m.event);
          const idempotencyKey = `${runId}:backfill:${seq}:${n}`;
          await client.appendEvents(runId, events, { firstSequence: seq, idempotencyKey });
        } catch (err) {
          const why = String((err as Error).message ?? err);
          const steps = `${seq}..${seq + n - 1}`;
          fail('ledger_mismatch', `run ${runId} refused the checkpoint's steps ${steps} (${why}): resume refused`, err);
        }
        seq += n;
        done += n;
      }
    }
  }
}
