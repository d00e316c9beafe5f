/** Store rows as wire objects (openapi.yaml `Budget`, `Run`). */
import type { components } from '@dpledger/api';
import { isOverspent } from '../ledger/expiry.js';
import type { BudgetRow, RunRow } from '../store/store.js';

type S = components['schemas'];

/** The wire form of a budget. */
export function budgetView(b: BudgetRow): S['Budget'] {
  return {
    id: b.id,
    name: b.name,
    ...(b.description !== undefined ? { description: b.description } : {}),
    epsilon: b.epsilon,
    delta: b.delta,
    accountant: b.accountant,
    neighboring_relation: b.neighboring_relation,
    epsilon_spent: b.epsilon_spent,
    epsilon_reserved: b.epsilon_reserved,
    epsilon_remaining: Math.max(0, b.epsilon - b.epsilon_reserved),
    accountants: {
      epsilon_spent: b.spent_accountant ?? 'rdp',
      epsilon_reserved: b.reserved_accountant ?? 'rdp',
      epsilon_remaining: b.reserved_accountant ?? 'rdp',
    },
    run_count: b.run_count,
    created_at: b.created_at,
    ...(isOverspent(b) ? { overspent: true } : {}),
  };
}

/** The wire form of a run. */
export function runView(r: RunRow): S['Run'] {
  const opt = <K extends keyof RunRow>(k: K) => (r[k] === undefined ? {} : { [k]: r[k] });
  return {
    id: r.id,
    budget_id: r.budget_id,
    name: r.name,
    sampler: r.sampler,
    ...opt('noise_rng'),
    ...opt('metadata'),
    ...opt('allow_large_delta'),
    status: r.status,
    event_count: r.event_count,
    epsilon_spent: r.epsilon_spent,
    accountants: { epsilon_spent: 'rdp' }, // a run's own figure is always by its RDP vector
    ledger: { kind: 'composed', events: r.ledger },
    created_at: r.created_at,
    ...opt('closed_at'),
    ...opt('model_digest'),
    ...opt('dataset_digest'),
    ...opt('audit'),
  } as S['Run'];
}
