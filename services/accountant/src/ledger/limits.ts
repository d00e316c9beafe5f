/**
 * The service's limits (openapi.yaml, "Limits"): every request does bounded work, and no run or tenant grows
 * without bound. A request past one is refused with 422 `limit_exceeded` and writes nothing.
 */
import { stableKey, type DpEvent } from '@dpledger/accounting';
import { ServiceError } from '../errors.js';

/** The numbers (stated in openapi.yaml; change both together). */
export const LIMITS = Object.freeze({
  /** Event records one request may write (appended events, or `used` of one commit). */
  recordsPerRequest: 1_000,
  /** Steps one reservation may hold (a commit writes at most this many records). */
  stepsPerReservation: 1_000,
  /** Event records of one run (its Merkle tree's leaves). */
  recordsPerRun: 1_000_000,
  /** Distinct leaf events (not `composed`/`self_composed`) in one request; each new one costs an RDP curve. */
  leavesPerRequest: 256,
  /** Distinct leaf events over one run's whole ledger. */
  leavesPerRun: 256,
  /** Event nodes (every sub-event counted) in one request. */
  nodesPerRequest: 4_096,
  /**
   * Event nodes of a run's run-length merged ledger (rewritten by every append; consecutive different events each add
   * some).
   */
  ledgerNodesPerRun: 4_096,
  /** Event nodes of a budget's ledger (its runs' events merged by kind, order aside). */
  ledgerNodesPerBudget: 8_192,
  /** Open reservations holding one budget at a time. */
  openReservationsPerBudget: 256,
});

/**
 * Throws 422 limit_exceeded when `value` exceeds `limit`.
 * @example checkLimit('records of this run', 1_000_001, LIMITS.recordsPerRun, '/used')
 */
export function checkLimit(what: string, value: number, limit: number, pointer?: string): void {
  if (value > limit) {
    throw new ServiceError('limit_exceeded', `${what}: ${value} > limit ${limit}`, {
      limit,
      ...(pointer !== undefined ? { pointer } : {}),
    });
  }
}

/**
 * Calls `visit` on every leaf (an event that is not `composed` or `self_composed`) of `event`, with its pointer;
 * returns the number of nodes walked. Stops early (returning more than `maxNodes`) past `maxNodes`.
 * @example forEachLeaf(step, '/events/0', (leaf) => keys.add(stableKey(leaf)))
 */
export function forEachLeaf(
  event: DpEvent,
  pointer: string,
  visit: (leaf: DpEvent, pointer: string) => void,
  maxNodes = Infinity,
): number {
  let nodes = 0;
  const walk = (e: DpEvent, p: string): void => {
    if (++nodes > maxNodes) return;
    if (e.kind === 'composed') e.events.forEach((sub, i) => walk(sub, `${p}/events/${i}`));
    else if (e.kind === 'self_composed') walk(e.event, `${p}/event`);
    else visit(e, p);
  };
  walk(event, pointer);
  return nodes;
}

/** The distinct leaves of some events, by stable key, with the pointer of each one's first occurrence. */
export function distinctLeaves(
  events: readonly DpEvent[],
  pointerOf: (i: number) => string,
  maxNodes = Infinity,
): { leaves: Map<string, { leaf: DpEvent; pointer: string }>; nodes: number } {
  const leaves = new Map<string, { leaf: DpEvent; pointer: string }>();
  let nodes = 0;
  events.forEach((e, i) => {
    if (nodes > maxNodes) return;
    nodes += forEachLeaf(
      e,
      pointerOf(i),
      (leaf, pointer) => {
        const key = stableKey(leaf);
        if (!leaves.has(key)) leaves.set(key, { leaf, pointer });
      },
      maxNodes - nodes,
    );
  });
  return { leaves, nodes };
}

/**
 * The per-request checks of some events: nodes and distinct leaves. Returns the distinct leaves.
 * @example requestLeaves(events, (i) => `/events/${i}`)
 */
export function requestLeaves(
  events: readonly DpEvent[],
  pointerOf: (i: number) => string,
): Map<string, { leaf: DpEvent; pointer: string }> {
  const { leaves, nodes } = distinctLeaves(events, pointerOf, LIMITS.nodesPerRequest);
  checkLimit('event nodes in this request', nodes, LIMITS.nodesPerRequest);
  checkLimit('distinct leaf events in this request', leaves.size, LIMITS.leavesPerRequest);
  return leaves;
}

/** The number of event nodes (every sub-event counted) of some events. */
export function nodeCount(events: readonly DpEvent[]): number {
  return events.reduce((n, e) => n + forEachLeaf(e, '', () => undefined), 0);
}

/**
 * The per-run and per-budget checks of an append (inside its write transaction), on the state after it: records
 * and ledger size of the run, distinct leaves of the run, ledger size of the budget.
 * @example checkRunLimits({ eventCount: run.event_count, added: 100, runLedger, budgetLedger })
 */
export function checkRunLimits(p: {
  eventCount: number;
  added: number;
  runLedger: readonly DpEvent[];
  budgetLedger: readonly DpEvent[];
  pointer?: string;
}): void {
  checkLimit('event records of this run', p.eventCount + p.added, LIMITS.recordsPerRun, p.pointer);
  checkLimit('ledger event nodes of this run', nodeCount(p.runLedger), LIMITS.ledgerNodesPerRun, p.pointer);
  const { leaves } = distinctLeaves(p.runLedger, () => '');
  checkLimit('distinct leaf events of this run', leaves.size, LIMITS.leavesPerRun, p.pointer);
  checkLimit('ledger event nodes of this budget', nodeCount(p.budgetLedger), LIMITS.ledgerNodesPerBudget, p.pointer);
}
