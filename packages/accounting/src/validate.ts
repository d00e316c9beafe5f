/**
 * The accountants' guard: a DpEvent is checked by @dpledger/api's validator (the one validator, ranges from
 * openapi.yaml) before anything is priced, and a problem becomes AccountingError('invalid_event').
 */
import { dpEventProblem } from '@dpledger/api';
import type { DpEvent } from './dp-event.js';
import { AccountingError } from './errors.js';

/**
 * Checks that `value` is a well-formed DpEvent (kinds, fields and ranges of openapi.yaml) and returns it typed.
 * Throws AccountingError('invalid_event') whose `pointer` names the offending value.
 * @example assertDpEvent(JSON.parse(body)) // throws on {"kind":"gaussian","noise_multiplier":-1}
 */
export function assertDpEvent(value: unknown, pointer = '', depth = 0): DpEvent {
  const problem = dpEventProblem(value, pointer, depth);
  if (problem !== undefined) throw new AccountingError('invalid_event', problem.message, { pointer: problem.pointer });
  return value as DpEvent;
}

/** Validates a repetition count (a non-negative safe integer). */
export function assertCount(count: unknown): number {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    throw new AccountingError('invalid_argument', `count must be a non-negative integer, got ${String(count)}`);
  }
  return count;
}
