/**
 * The one runtime validator of DpEvents (for JS callers and untrusted JSON). The kinds, fields and ranges are
 * openapi.yaml's; dp-event-ranges.test.ts walks the spec and probes every numeric bound, so they cannot drift.
 * It reports a problem instead of throwing, so each package raises its own error class (AccountingError in
 * @dpledger/accounting) without this package depending on any of them.
 */
import type { components } from './generated/openapi.js';

type DpEvent = components['schemas']['DpEvent'];
type DpEventKind = DpEvent['kind'];

/** What is wrong with a value that is not a DpEvent: the JSON pointer (RFC 6901) of the offending value and why. */
export interface DpEventProblem {
  pointer: string;
  message: string;
}

const KIND_FIELDS: Record<DpEventKind, readonly string[]> = {
  no_op: [],
  non_private: [],
  unsupported: [],
  gaussian: ['noise_multiplier', 'neighboring_relation'],
  laplace: ['noise_multiplier', 'neighboring_relation'],
  epsilon_delta: ['epsilon', 'delta'],
  zcdp: ['rho', 'xi', 'neighboring_relation'],
  poisson_sampled: ['sampling_probability', 'event'],
  sampled_without_replacement: ['source_dataset_size', 'sample_size', 'event'],
  self_composed: ['event', 'count'],
  composed: ['events'],
};

/** Largest finite parameter the wire format accepts (openapi.yaml `maximum` of the number fields). */
export const MAX_PARAMETER = 1e15;
/** Largest count or size the wire format accepts (openapi.yaml `maximum` of the integer fields). */
export const MAX_COUNT = 1e12;
/** Deepest nesting accepted, so a hostile event cannot exhaust the stack. */
export const MAX_DEPTH = 64;

/** Unwinds the recursion at the first problem; never leaves this module. */
class Found {
  constructor(readonly problem: DpEventProblem) {}
}

function fail(pointer: string, message: string): never {
  throw new Found({ pointer, message: `${message} at '${pointer || '/'}'` });
}

function num(e: Record<string, unknown>, key: string, p: string, lo: number, hi: number, loOpen: boolean): number {
  const v = e[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${p}/${key}`, `${key} must be a finite number`);
  if (loOpen ? !(v > lo) : !(v >= lo)) fail(`${p}/${key}`, `${key} must be ${loOpen ? '>' : '>='} ${lo}`);
  if (!(v <= hi)) fail(`${p}/${key}`, `${key} must be <= ${hi}`);
  return v;
}

function int(e: Record<string, unknown>, key: string, p: string, lo: number): number {
  const v = num(e, key, p, lo, MAX_COUNT, false);
  if (!Number.isInteger(v)) fail(`${p}/${key}`, `${key} must be an integer`);
  return v;
}

function check(value: unknown, pointer: string, depth: number): void {
  if (depth > MAX_DEPTH) fail(pointer, `event nested deeper than ${MAX_DEPTH}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(pointer, 'event must be an object');
  const e = value as Record<string, unknown>;
  const kind = e['kind'];
  if (typeof kind !== 'string' || !Object.hasOwn(KIND_FIELDS, kind)) {
    fail(`${pointer}/kind`, `unknown event kind ${JSON.stringify(kind)}`);
  }
  const allowed = KIND_FIELDS[kind as DpEventKind];
  for (const key of Object.keys(e)) {
    if (key === 'kind' || allowed.includes(key)) continue;
    fail(`${pointer}/${key}`, `unexpected field '${key}' for kind '${kind}'`);
  }
  const relation = e['neighboring_relation'];
  if (relation !== undefined && relation !== 'add_or_remove_one' && relation !== 'replace_one') {
    fail(`${pointer}/neighboring_relation`, `neighboring_relation must be 'add_or_remove_one' or 'replace_one'`);
  }
  switch (kind as DpEventKind) {
    case 'gaussian':
    case 'laplace':
      num(e, 'noise_multiplier', pointer, 0, MAX_PARAMETER, true);
      break;
    case 'epsilon_delta':
      num(e, 'epsilon', pointer, 0, MAX_PARAMETER, false);
      num(e, 'delta', pointer, 0, 1, false);
      break;
    case 'zcdp':
      num(e, 'rho', pointer, 0, MAX_PARAMETER, false);
      if (e['xi'] !== undefined) num(e, 'xi', pointer, 0, MAX_PARAMETER, false);
      break;
    case 'poisson_sampled':
      num(e, 'sampling_probability', pointer, 0, 1, true);
      check(e['event'], `${pointer}/event`, depth + 1);
      break;
    case 'sampled_without_replacement': {
      const n = int(e, 'source_dataset_size', pointer, 1);
      const m = int(e, 'sample_size', pointer, 1);
      if (m > n) fail(`${pointer}/sample_size`, 'sample_size must be <= source_dataset_size');
      check(e['event'], `${pointer}/event`, depth + 1);
      break;
    }
    case 'self_composed':
      int(e, 'count', pointer, 0);
      check(e['event'], `${pointer}/event`, depth + 1);
      break;
    case 'composed': {
      const events = e['events'];
      if (!Array.isArray(events)) fail(`${pointer}/events`, 'events must be an array');
      events.forEach((sub, i) => check(sub, `${pointer}/events/${i}`, depth + 1));
      break;
    }
    default:
      break;
  }
}

/**
 * The first way `value` fails to be a well-formed DpEvent (kinds, fields and ranges of openapi.yaml), or undefined
 * when it is one. `pointer` and `depth` place a sub-event inside a larger document.
 * @example dpEventProblem({ kind: 'gaussian', noise_multiplier: -1 })
 *   // { pointer: '/noise_multiplier', message: "noise_multiplier must be > 0 at '/noise_multiplier'" }
 */
export function dpEventProblem(value: unknown, pointer = '', depth = 0): DpEventProblem | undefined {
  try {
    check(value, pointer, depth);
    return undefined;
  } catch (err) {
    if (err instanceof Found) return err.problem;
    throw err;
  }
}

/**
 * True when `value` is a well-formed DpEvent.
 * @example isDpEvent(JSON.parse('{"kind":"no_op"}')) // true
 */
export function isDpEvent(value: unknown): value is DpEvent {
  return dpEventProblem(value) === undefined;
}
