/**
 * Which neighbouring relation an event was priced under. A mechanism's cost depends on the relation (a clipped sum
 * has L2 sensitivity C under add_or_remove_one and 2C under replace_one), so an event tagged with one relation may
 * enter only a ledger of that relation (docs/design.md "Neighbouring relation").
 */
import type { DpEvent, NeighboringRelation } from './dp-event.js';
import { AccountingError } from './errors.js';

/**
 * The relation `event` itself declares: its `neighboring_relation` field; a `zcdp` event without it counts as
 * add_or_remove_one (the relation the trainer's discrete Gaussian rho was sized for before the field existed);
 * undefined for events whose parameters are relative to whatever relation the ledger uses.
 * @example declaredRelation({ kind: 'zcdp', rho: 0.1 }) // 'add_or_remove_one'
 */
export function declaredRelation(event: DpEvent): NeighboringRelation | undefined {
  if (event.kind === 'gaussian' || event.kind === 'laplace') return event.neighboring_relation;
  if (event.kind === 'zcdp') return event.neighboring_relation ?? 'add_or_remove_one';
  return undefined;
}

/**
 * Refuses (AccountingError 'unsupported_event' with the pointer) a leaf, or the mechanism inside a sampled leaf,
 * that declares another relation than the accountant's.
 * @example assertRelation({ kind: 'zcdp', rho: 0.1 }, 'replace_one', '') // throws unsupported_event
 */
export function assertRelation(event: DpEvent, relation: NeighboringRelation, pointer: string): void {
  const declared = declaredRelation(event);
  if (declared !== undefined && declared !== relation) {
    const at = pointer || '/';
    const why = `it was priced under ${declared} but this ledger is ${relation}`;
    const message = `event kind '${event.kind}' is not supported: ${why} at '${at}'`;
    throw new AccountingError('unsupported_event', message, { pointer });
  }
  if (event.kind === 'poisson_sampled' || event.kind === 'sampled_without_replacement') {
    assertRelation(event.event, relation, `${pointer}/event`);
  }
}
