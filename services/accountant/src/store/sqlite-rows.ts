/** Conversions between SQLite rows (JSON in TEXT columns, NULL for absent) and the store's row types. */
import type { BudgetRow, EventRecord, ReservationRow, RunRow } from './store.js';

type Raw = Record<string, unknown>;

function opt<T>(v: unknown, map: (x: string) => T): T | undefined {
  return v === null || v === undefined ? undefined : map(v as string);
}

/** RDP vectors as little-endian float64 BLOBs: exact, fast, and Infinity-safe (older rows may hold JSON text). */
function vecToBlob(v: readonly number[]): Buffer {
  const b = Buffer.allocUnsafe(8 * v.length);
  v.forEach((x, i) => b.writeDoubleLE(x, 8 * i));
  return b;
}

function vecFromBlob(value: unknown): number[] {
  if (typeof value === 'string')
    return (JSON.parse(value) as (number | string)[]).map((x) => (x === 'Infinity' ? Infinity : (x as number)));
  const b = value as Buffer;
  const out = new Array<number>(b.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = b.readDoubleLE(8 * i);
  return out;
}

function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function budgetFromRow(r: Raw): BudgetRow {
  return strip({
    id: r['id'] as string,
    tenant: r['tenant'] as string,
    name: r['name'] as string,
    description: opt(r['description'], String),
    epsilon: r['epsilon'] as number,
    delta: r['delta'] as number,
    accountant: r['accountant'] as BudgetRow['accountant'],
    neighboring_relation: r['neighboring_relation'] as BudgetRow['neighboring_relation'],
    created_at: r['created_at'] as string,
    epsilon_spent: r['epsilon_spent'] as number,
    epsilon_reserved: r['epsilon_reserved'] as number,
    rdp: vecFromBlob(r['rdp']),
    ledger: JSON.parse(r['ledger'] as string),
    run_count: r['run_count'] as number,
    spent_accountant: (r['spent_accountant'] ?? 'rdp') as BudgetRow['accountant'],
    reserved_accountant: (r['reserved_accountant'] ?? 'rdp') as BudgetRow['accountant'],
  });
}

export function budgetToRow(b: BudgetRow): Raw {
  return {
    ...b,
    description: b.description ?? null,
    rdp: vecToBlob(b.rdp),
    ledger: JSON.stringify(b.ledger),
    spent_accountant: b.spent_accountant ?? 'rdp',
    reserved_accountant: b.reserved_accountant ?? 'rdp',
  };
}

export function runFromRow(r: Raw): RunRow {
  return strip({
    id: r['id'] as string,
    tenant: r['tenant'] as string,
    budget_id: r['budget_id'] as string,
    name: r['name'] as string,
    sampler: JSON.parse(r['sampler'] as string),
    noise_rng: opt(r['noise_rng'], (x) => x as 'secure' | 'seeded'),
    metadata: opt(r['metadata'], JSON.parse),
    allow_large_delta: r['allow_large_delta'] === 1 ? true : undefined,
    status: r['status'] as RunRow['status'],
    event_count: r['event_count'] as number,
    epsilon_spent: r['epsilon_spent'] as number,
    rdp: vecFromBlob(r['rdp']),
    ledger: JSON.parse(r['ledger'] as string),
    created_at: r['created_at'] as string,
    closed_at: opt(r['closed_at'], String),
    model_digest: opt(r['model_digest'], JSON.parse),
    dataset_digest: opt(r['dataset_digest'], JSON.parse),
    audit: opt(r['audit'], JSON.parse),
  });
}

export function runToRow(r: RunRow): Raw {
  const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
  return {
    ...r,
    sampler: JSON.stringify(r.sampler),
    noise_rng: r.noise_rng ?? null,
    metadata: json(r.metadata),
    allow_large_delta: r.allow_large_delta === true ? 1 : null,
    rdp: vecToBlob(r.rdp),
    ledger: JSON.stringify(r.ledger),
    closed_at: r.closed_at ?? null,
    model_digest: json(r.model_digest),
    dataset_digest: json(r.dataset_digest),
    audit: json(r.audit),
  };
}

export function eventFromRow(r: Raw): EventRecord {
  return {
    sequence: r['sequence'] as number,
    run_id: r['run_id'] as string,
    event: JSON.parse(r['event'] as string),
    recorded_at: r['recorded_at'] as string,
  };
}

export function reservationFromRow(r: Raw): ReservationRow {
  return { ...(r as unknown as ReservationRow), event: JSON.parse(r['event'] as string) };
}
