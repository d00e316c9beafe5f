import { describe, expect, it } from 'vitest';
import { dpEventProblem, isDpEvent, MAX_DEPTH } from '@dpledger/api';

const g = { kind: 'gaussian', noise_multiplier: 1 };

describe('dpEventProblem: the one DpEvent validator', () => {
  it('accepts the DP-SGD step of docs/design.md', () => {
    const gaussian = { kind: 'gaussian', noise_multiplier: 1.1 };
    const sampled = { kind: 'poisson_sampled', sampling_probability: 0.01, event: gaussian };
    const step = { kind: 'self_composed', count: 1000, event: sampled };
    expect(dpEventProblem(step)).toBeUndefined();
    expect(isDpEvent(step)).toBe(true);
  });

  it('names the offending sub-event by its JSON pointer', () => {
    const negative = { kind: 'gaussian', noise_multiplier: -1 };
    const sampled = { kind: 'poisson_sampled', sampling_probability: 0.1, event: negative };
    const bad = { kind: 'composed', events: [g, sampled] };
    const pointer = '/events/1/event/noise_multiplier';
    expect(dpEventProblem(bad)).toEqual({ pointer, message: `noise_multiplier must be > 0 at '${pointer}'` });
    expect(isDpEvent(bad)).toBe(false);
  });

  it('places a sub-document under the pointer it is given', () => {
    const message = `unknown event kind "nope" at '/event/kind'`;
    expect(dpEventProblem({ kind: 'nope' }, '/event')).toEqual({ pointer: '/event/kind', message });
  });

  it('refuses unknown fields, non-objects and NaN', () => {
    expect(dpEventProblem({ ...g, extra: 1 })?.pointer).toBe('/extra');
    expect(dpEventProblem([g])?.pointer).toBe('');
    expect(dpEventProblem({ kind: 'gaussian', noise_multiplier: Number.NaN })?.pointer).toBe('/noise_multiplier');
  });

  it(`refuses nesting deeper than MAX_DEPTH (${MAX_DEPTH}) without exhausting the stack`, () => {
    const nest = (n: number): unknown => (n === 0 ? g : { kind: 'self_composed', count: 1, event: nest(n - 1) });
    expect(dpEventProblem(nest(MAX_DEPTH))).toBeUndefined();
    expect(dpEventProblem(nest(MAX_DEPTH + 1))?.message).toMatch(/nested deeper than 64/);
  });
});
