import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ADMIN, append, auth, budgetAndRun, dbBytes, step, testApp, useTestApp } from './testing/test-deps.js';

const s = useTestApp();

describe('bad input is a 4xx problem+json and stores nothing', () => {
  const cases: [string, unknown, number, string, string?][] = [
    ['unknown kind', { events: [{ kind: 'magic' }] }, 400, 'validation_failed'],
    ['negative noise', { events: [{ kind: 'gaussian', noise_multiplier: -1 }] }, 400, 'validation_failed'],
    ['zero noise', { events: [{ kind: 'gaussian', noise_multiplier: 0 }] }, 400, 'validation_failed'],
    [
      'q > 1',
      { events: [{ kind: 'poisson_sampled', sampling_probability: 1.5, event: { kind: 'no_op' } }] },
      400,
      'validation_failed',
    ],
    ['count < 0', { events: [{ kind: 'self_composed', count: -1, event: step() }] }, 400, 'validation_failed'],
    ['fractional count', { events: [{ kind: 'self_composed', count: 1.5, event: step() }] }, 400, 'validation_failed'],
    [
      'string number (no coercion)',
      { events: [{ kind: 'gaussian', noise_multiplier: '1' }] },
      400,
      'validation_failed',
    ],
    [
      'unknown field (no removal)',
      { events: [{ kind: 'gaussian', noise_multiplier: 1, seed: 3 }] },
      400,
      'validation_failed',
    ],
    ['extra top-level field', { events: [step()], note: 'x' }, 400, 'validation_failed'],
    ['empty events', { events: [] }, 400, 'validation_failed'],
    ['no events', {}, 400, 'validation_failed'],
    [
      'nested unknown kind',
      { events: [{ kind: 'composed', events: [{ kind: 'no_op' }, { kind: 'nope' }] }] },
      400,
      'validation_failed',
    ],
    [
      'unsupported event',
      { events: [{ kind: 'no_op' }, { kind: 'self_composed', count: 2, event: { kind: 'unsupported' } }] },
      400,
      'unsupported_event',
      '/events/1/event',
    ],
    ['non_private (infinite epsilon)', { events: [{ kind: 'non_private' }] }, 409, 'budget_exhausted'],
  ];
  for (const [name, body, status, code, pointer] of cases) {
    it(name, async () => {
      const { run } = await budgetAndRun(s.t, s.key);
      const before = dbBytes(s.t);
      const res = await request(s.t.app)
        .post(`/v1/runs/${run.id}/events`)
        .set(auth(s.key))
        .send(body as object);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status, code });
      if (pointer !== undefined) expect(res.body.pointer).toBe(pointer);
      expect(dbBytes(s.t).equals(before)).toBe(true);
    });
  }

  it('Infinity written as 1e999, malformed JSON, wrong media type', async () => {
    const { run } = await budgetAndRun(s.t, s.key);
    const before = dbBytes(s.t);
    const post = () => request(s.t.app).post(`/v1/runs/${run.id}/events`).set(auth(s.key));
    const inf = await post()
      .set('Content-Type', 'application/json')
      .send('{"events":[{"kind":"gaussian","noise_multiplier":1e999}]}');
    expect(inf.status).toBe(400);
    const bad = await post().set('Content-Type', 'application/json').send('{"events":[');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('malformed_json');
    const text = await post().set('Content-Type', 'text/plain').send('hello');
    expect(text.status).toBe(415);
    expect(text.body.code).toBe('unsupported_media_type');
    expect(dbBytes(s.t).equals(before)).toBe(true);
  });

  it('a body over the limit is 413 payload_too_large', async () => {
    const small = await testApp({ config: { adminToken: ADMIN, bodyLimit: 1024, validateResponses: true } });
    try {
      const key = await small.key('acme');
      const { run } = await budgetAndRun(small, key);
      const before = dbBytes(small);
      const res = await append(
        small,
        key,
        run.id,
        Array.from({ length: 100 }, () => step()),
      );
      expect(res.status).toBe(413);
      expect(res.body.code).toBe('payload_too_large');
      expect(dbBytes(small).equals(before)).toBe(true);
    } finally {
      await small.close();
    }
  });

  it('unknown routes and runs are 404 not_found', async () => {
    expect((await request(s.t.app).get('/v1/nothing').set(auth(s.key))).body.code).toBe('not_found');
    expect((await append(s.t, s.key, 'run_missing', [step()])).status).toBe(404);
    expect((await request(s.t.app).get('/v1/runs/run_missing/events').set(auth(s.key))).status).toBe(404);
  });
});
