/**
 * The predicate validator against openapi.yaml (issue 14.2): the predicate's wire parts (Sampler, Audit,
 * NeighboringRelation, AccountantKind) are read from the spec, and statementProblem is probed with each enum value,
 * each bound and each required field, so a schema change the validator does not follow fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { IN_TOTO_STATEMENT_TYPE, PRIVACY_REPORT_PREDICATE_TYPE, statementProblem } from '@dpledger/api';

interface Prop {
  type?: string;
  enum?: string[];
  minimum?: number;
  maximum?: number;
}
interface ObjectSchema {
  required?: string[];
  properties: Record<string, Prop>;
}
const spec = parseYaml(readFileSync(new URL('../../../openapi.yaml', import.meta.url), 'utf8')) as {
  components: { schemas: Record<string, ObjectSchema & { enum?: string[] }> };
};
const schemas = spec.components.schemas;

/** A value the spec allows for a property (its first enum value, its minimum, or a plain example). */
function example(p: Prop): unknown {
  if (p.enum !== undefined) return p.enum[0];
  if (p.type === 'integer') return p.minimum ?? 1;
  if (p.type === 'number') return p.minimum ?? 0.5;
  return 'x';
}
const fromSpec = (s: ObjectSchema) => Object.fromEntries(Object.entries(s.properties).map(([k, p]) => [k, example(p)]));

const hex = 'ab'.repeat(32);
const predicate = () => ({
  run: { id: 'r', name: 'n', created_at: '2026-01-01T00:00:00Z', closed_at: '2026-01-01T00:00:01Z' },
  budget: { id: 'b', name: 'n', epsilon: 1, delta: 1e-5, accountant: 'rdp' },
  neighboring_relation: 'add_or_remove_one',
  sampler: { kind: 'poisson', dataset_size: 100, expected_batch_size: 10 },
  noise_rng: 'secure',
  ledger: { kind: 'no_op' },
  event_count: 0,
  merkle_root: { alg: 'sha256', root: hex, tree_size: 0 },
  epsilon: { delta: 1e-5, rdp: { epsilon: 0, order: 2 }, pld: null },
  budget_remaining: { epsilon: 1 },
  issued_at: '2026-01-01T00:00:02Z',
  service: { name: 'dpledger-accountant', version: '0' },
  audit: fromSpec(schemas['Audit']!),
});
type Edit = (p: Record<string, Record<string, unknown>>) => void;
const statement = (edit: Edit = () => {}) => {
  const p = predicate() as unknown as Record<string, Record<string, unknown>>;
  edit(p);
  const subject = [{ name: 'model', digest: { sha256: hex } }];
  return { _type: IN_TOTO_STATEMENT_TYPE, subject, predicateType: PRIVACY_REPORT_PREDICATE_TYPE, predicate: p };
};
const accepts = (edit: Edit) => statementProblem(statement(edit)) === undefined;
const setRelation =
  (v: string): Edit =>
  (p) =>
    ((p as Record<string, unknown>)['neighboring_relation'] = v);

describe('statementProblem against openapi.yaml', () => {
  it("accepts a statement whose audit section has exactly the spec's Audit fields", () => {
    expect(statementProblem(statement())).toBeUndefined();
  });

  it("requires every field the spec's Audit requires, and only those", () => {
    const audit = schemas['Audit']!;
    expect(audit.required?.sort()).toEqual(Object.keys(audit.properties).sort());
    for (const field of audit.required!) {
      expect(
        accepts((p) => delete p['audit']![field]),
        field,
      ).toBe(false);
    }
  });

  it('takes each enum value of Audit and Sampler and refuses any other', () => {
    const enums: [string, ObjectSchema][] = [
      ['audit', schemas['Audit']!],
      ['sampler', schemas['Sampler']!],
    ];
    for (const [section, schema] of enums) {
      for (const [field, p] of Object.entries(schema.properties)) {
        if (p.enum === undefined) continue;
        for (const v of p.enum)
          expect(
            accepts((q) => (q[section]![field] = v)),
            `${section}.${field}=${v}`,
          ).toBe(true);
        expect(
          accepts((q) => (q[section]![field] = 'not-in-the-spec')),
          `${section}.${field}`,
        ).toBe(false);
      }
    }
  });

  it('takes the NeighboringRelation and AccountantKind of the spec and no other', () => {
    for (const v of schemas['NeighboringRelation']!.enum!) expect(accepts(setRelation(v)), v).toBe(true);
    const setAccountant =
      (v: string): Edit =>
      (p) =>
        (p['budget']!['accountant'] = v);
    for (const v of schemas['AccountantKind']!.enum!) expect(accepts(setAccountant(v)), v).toBe(true);
    expect(accepts(setRelation('other'))).toBe(false);
    expect(accepts(setAccountant('other'))).toBe(false);
  });

  it("holds the sampler sizes to the spec's Sampler bounds, integers only", () => {
    for (const [field, p] of Object.entries(schemas['Sampler']!.properties)) {
      if (p.type !== 'integer') continue;
      const at = (v: number) => accepts((q) => (q['sampler']![field] = v));
      const [lo, hi] = [p.minimum!, p.maximum!];
      expect([at(lo - 1), at(lo), at(hi), at(hi + 1), at(lo + 1.5)], field).toEqual([false, true, true, false, false]);
    }
  });

  it('refuses an integer Audit count that is not an integer', () => {
    for (const [field, p] of Object.entries(schemas['Audit']!.properties)) {
      if (p.type === 'integer')
        expect(
          accepts((q) => (q['audit']![field] = 1.5)),
          field,
        ).toBe(false);
    }
  });
});
