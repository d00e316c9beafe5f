/**
 * Where each step's DpEvent goes BEFORE its noise is released and its update applied.
 * Local: composed into an accountant. Remote: steps are reserved ahead on the accountant service in chunks
 * (`reserveSteps`); a refusal (HTTP 409, code `budget_exhausted`) is retried with half the chunk down to one step,
 * so training stops exactly at the last step the budget allows. Used counts are committed; unused ones released.
 * A local accountant always mirrors what was authorized, so epsilon can be read without a round trip. Repeats of the
 * same event are recorded as a pending count and composed as `compose(event, count)` (one call, same result by the
 * accountant's count-homogeneity) whenever the ledger or epsilon is read or the event changes: PLD composition
 * costs ~0.1 s per call, which per step would rival the step itself.
 */
import type { DpEvent, NeighboringRelation, PrivacyAccountant } from '@dpledger/accounting';
import { stableKey } from '@dpledger/accounting';
import { fail } from './fail.js';

/** The part of the @dpledger/client the trainer needs (structural, so any conforming client works). */
export interface ReservationClient {
  reserve(runId: string, body: { steps: number; event: DpEvent }): Promise<{ id: string; steps: number }>;
  commit(reservationId: string, used: number): Promise<unknown>;
}

/** A remote run to account against. */
export interface RemoteAccountant {
  client: ReservationClient;
  runId: string;
  /** Steps reserved per request (default 100). */
  reserveSteps?: number;
  /**
   * The neighbouring relation of the run's budget (default: the trainer's). The trainer prices its events under it;
   * the service refuses an event tagged with another relation (unsupported_event).
   */
  neighboringRelation?: NeighboringRelation;
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
  eventKey: string;
}

/** Authorizes steps against a local accountant and, optionally, a remote run. */
export class StepLedger {
  private current: Reservation | null = null;
  private exhausted = false;
  private pending: { event: DpEvent; key: string; count: number } | null = null;
  private readonly supported = new Set<string>();

  constructor(
    private readonly accountant: PrivacyAccountant,
    readonly remote?: RemoteAccountant,
  ) {}

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
   * @example if (!(await ledger.authorize(ev))) stop();
   */
  async authorize(event: DpEvent): Promise<boolean> {
    if (!this.supports(event)) fail('invalid_argument', `the local accountant cannot account ${event.kind} events`);
    const key = stableKey(event);
    if (this.remote) {
      if (this.exhausted) return false;
      if (this.current && (this.current.eventKey !== key || this.current.used >= this.current.steps)) await this.flush();
      if (!this.current) {
        this.current = await this.reserve(event, key);
        if (!this.current) {
          this.exhausted = true;
          return false;
        }
      }
      this.current.used++;
    }
    if (this.pending && this.pending.key !== key) this.settle(); // compose the previous run of events first
    if (this.pending) this.pending.count++;
    else this.pending = { event, key, count: 1 };
    return true;
  }

  private async reserve(event: DpEvent, eventKey: string): Promise<Reservation | null> {
    const remote = this.remote!;
    for (let steps = Math.max(1, Math.floor(remote.reserveSteps ?? 100)); steps >= 1; steps = Math.floor(steps / 2)) {
      try {
        const r = await remote.client.reserve(remote.runId, { steps, event });
        return { id: r.id, steps: Math.min(steps, r.steps), used: 0, eventKey };
      } catch (err) {
        if (!isBudgetRefusal(err)) throw err;
      }
    }
    return null;
  }

  /** Commits the used part of the open reservation (releasing the rest). Safe to call any time. */
  async flush(): Promise<void> {
    const r = this.current;
    this.current = null;
    if (r && this.remote) await this.remote.client.commit(r.id, r.used);
  }
}
