/**
 * One source of truth for the DpEvent ranges (issue 14.2): this walks every DpEvent schema of openapi.yaml and
 * probes the one validator (dpEventProblem) at each numeric bound (on it and one step past it), so a range that
 * drifts from the spec (the validator once took counts up to 1e15, the spec says 1e12) fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { dpEventProblem } from '@dpledger/api';

interface NumberSchema {
  type: 'number' | 'integer';
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
}
type Schemas = Record<
  string,
  { properties?: Record<string, { type?: string; $ref?: string } & Partial<NumberSchema>> }
>;

const spec = parseYaml(readFileSync(new URL('../../../openapi.yaml', import.meta.url), 'utf8')) as {
  components: { schemas: Schemas & { DpEvent: { oneOf: { $ref: string }[] } } };
};
const schemas = spec.components.schemas;
const inner = { kind: 'gaussian', noise_multiplier: 1 };
/** A valid event of each kind; one field at a time is moved to a bound. */
const BASE: Record<string, Record<string, unknown>> = {
  gaussian: { kind: 'gaussian', noise_multiplier: 1 },
  laplace: { kind: 'laplace', noise_multiplier: 1 },
  epsilon_delta: { kind: 'epsilon_delta', epsilon: 1, delta: 0.5 },
  zcdp: { kind: 'zcdp', rho: 1, xi: 0 },
  poisson_sampled: { kind: 'poisson_sampled', sampling_probability: 0.5, event: inner },
  sampled_without_replacement: {
    kind: 'sampled_without_replacement',
    source_dataset_size: 1e12,
    sample_size: 1,
    event: inner,
  },
  self_composed: { kind: 'self_composed', count: 1, event: inner },
};

/** The next double above (up) or below (down) x (IEEE 754: step the bit pattern). */
function nextDouble(x: number, up: boolean): number {
  if (x === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const b = new BigInt64Array(f.buffer);
  b[0] = b[0]! + (x > 0 === up ? 1n : -1n);
  return f[0]!;
}

const accepts = (e: unknown) => dpEventProblem(e) === undefined;

describe('DpEvent ranges: dpEventProblem against openapi.yaml', () => {
  const fields: { kind: string; field: string; s: NumberSchema }[] = [];
  for (const { $ref } of schemas.DpEvent.oneOf) {
    const schema = schemas[$ref.split('/').at(-1)!]!;
    const kind = (schema.properties?.['kind'] as { enum: string[] }).enum[0]!;
    for (const [field, s] of Object.entries(schema.properties ?? {})) {
      if (s.type === 'number' || s.type === 'integer') fields.push({ kind, field, s: s as NumberSchema });
    }
  }

  it('finds every numeric field the validator checks', () => {
    expect(fields.map((f) => `${f.kind}.${f.field}`).sort()).toEqual([
      'epsilon_delta.delta',
      'epsilon_delta.epsilon',
      'gaussian.noise_multiplier',
      'laplace.noise_multiplier',
      'poisson_sampled.sampling_probability',
      'sampled_without_replacement.sample_size',
      'sampled_without_replacement.source_dataset_size',
      'self_composed.count',
      'zcdp.rho',
      'zcdp.xi',
    ]);
  });

  it('accepts each bound the spec includes, refuses one step past it, and integers only where the spec says so', () => {
    for (const { kind, field, s } of fields) {
      const at = (v: number) => accepts({ ...BASE[kind], [field]: v });
      const where = `${kind}.${field}`;
      expect(s.minimum, where).toBeDefined();
      expect(s.maximum, where).toBeDefined();
      const step = (x: number, up: boolean) => (s.type === 'integer' ? x + (up ? 1 : -1) : nextDouble(x, up));
      const [lo, hi] = [s.minimum!, s.maximum!];
      if (s.exclusiveMinimum) expect([at(lo), at(step(lo, true))], where).toEqual([false, true]);
      else expect([at(step(lo, false)), at(lo)], where).toEqual([false, true]);
      if (s.exclusiveMaximum) expect([at(step(hi, false)), at(hi)], where).toEqual([true, false]);
      else expect([at(hi), at(step(hi, true))], where).toEqual([true, false]);
      if (s.type === 'integer') expect(at(lo + 1.5), where).toBe(false);
      else expect(at(s.exclusiveMinimum ? nextDouble(lo, true) * 3 : lo), where).toBe(true);
    }
  });
});
