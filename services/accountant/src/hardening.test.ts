/** Issue 9 items 2, 5, 6 and 13 through HTTP: validation under every spelling, deep events, PLD fallback, edges. */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './http/metrics.js';
import { ADMIN, append, auth, budgetAndRun, dbBytes, step, testApp, useTestApp } from './testing/test-deps.js';

const s = useTestApp();

const budgetOf = async (id: string) =>
  (await request(s.t.app).get(`/v1/budgets/${id}`).set(auth(s.key))).body as {
    epsilon_spent: number;
    epsilon_reserved: number;
  };

describe('item 2: no request under /v1 skips validation, whatever its case', () => {
  it('a negative commit through /V1 reaches no handler and refunds nothing (issue reproduction)', async () => {
    const { budget, run } = await budgetAndRun(s.t, s.key, { epsilon: 1 });
    expect((await append(s.t, s.key, run.id, Array(100).fill(step()))).status).toBe(200);
    const res = await request(s.t.app)
      .post(`/v1/runs/${run.id}/reservations`)
      .set(auth(s.key))
      .send({ steps: 10, event: step() });
    const spent = (await budgetOf(budget.id)).epsilon_spent;
    expect(spent).toBeGreaterThan(0);
    const before = dbBytes(s.t);
    for (const path of [
      `/V1/reservations/${res.body.id}/commit`,
      `/v1/RESERVATIONS/${res.body.id}/commit`,
      `/v1/reservations/${res.body.id}/COMMIT`,
    ]) {
      const bad = await request(s.t.app).post(path).set(auth(s.key)).send({ used: -1000000 });
      expect(bad.status, path).toBe(404);
    }
    const canonical = await request(s.t.app)
      .post(`/v1/reservations/${res.body.id}/commit`)
      .set(auth(s.key))
      .send({ used: -1000000 });
    expect(canonical.status).toBe(400);
    expect(canonical.body.pointer).toBe('/used');
    expect(dbBytes(s.t).equals(before)).toBe(true);
    expect((await budgetOf(budget.id)).epsilon_spent).toBe(spent);
  });

  it('a metrics call that throws after a commit does not turn the committed write into a 500', async () => {
    const metrics = createMetrics();
    const boom = () => {
      throw new Error('metrics down');
    };
    metrics.appended.inc = boom;
    metrics.requests.inc = boom;
    metrics.latency.observe = boom;
    const own = await testApp({ metrics });
    try {
      const key = await own.key('m');
      const { run } = await budgetAndRun(own, key);
      const res = await append(own, key, run.id, [step(), step()]);
      expect(res.status).toBe(200);
      expect(res.body.event_count).toBe(2);
      const r = await request(own.app)
        .post(`/v1/runs/${run.id}/reservations`)
        .set(auth(key))
        .send({ steps: 3, event: step() });
      const commit = await request(own.app)
        .post(`/v1/reservations/${r.body.id}/commit`)
        .set(auth(key))
        .send({ used: 3 });
      expect(commit.status).toBe(200);
      expect((await request(own.app).get(`/v1/runs/${run.id}`).set(auth(key))).body.event_count).toBe(5);
    } finally {
      await own.close();
    }
  });
});

/** An event nested `depth` levels, poisson_sampled(poisson_sampled(... gaussian)), as JSON text. */
function nestedJson(depth: number): string {
  const open = '{"kind":"poisson_sampled","sampling_probability":0.5,"event":';
  const leaf = '{"kind":"gaussian","noise_multiplier":1}';
  return `${open.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
}
const nested = (depth: number): unknown => JSON.parse(nestedJson(depth));

describe('item 5: deep DpEvents', () => {
  it('answers 400, not 500, for events nested 70, 1,000 or 10,000 deep, and writes nothing', async () => {
    const { run } = await budgetAndRun(s.t, s.key, { epsilon: 100 });
    const before = dbBytes(s.t);
    for (const depth of [70, 1000, 10_000]) {
      const body = `{"events":[${nestedJson(depth)}]}`;
      const res = await request(s.t.app)
        .post(`/v1/runs/${run.id}/events`)
        .set(auth(s.key))
        .set('Content-Type', 'application/json')
        .send(body);
      expect(res.status, `depth ${depth}`).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const r = await request(s.t.app)
      .post(`/v1/runs/${run.id}/reservations`)
      .set(auth(s.key))
      .send({ steps: 1, event: nested(1000) });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('validation_failed');
    expect(dbBytes(s.t).equals(before)).toBe(true);
    const fine = {
      kind: 'composed',
      events: [{ kind: 'self_composed', count: 2, event: { kind: 'composed', events: [step()] } }],
    };
    expect((await append(s.t, s.key, run.id, [fine])).status).toBe(200);
  });
});

describe('item 6: a PLD budget with an event PLD cannot price', () => {
  it('answers 409 budget_exhausted by the RDP verdict past the bound, not 500', async () => {
    const { budget, run } = await budgetAndRun(s.t, s.key, { epsilon: 1, accountant: 'pld' });
    expect((await append(s.t, s.key, run.id, [{ kind: 'zcdp', rho: 0.001 }])).status).toBe(200);
    const res = await append(s.t, s.key, run.id, [{ kind: 'zcdp', rho: 10 }]);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('budget_exhausted');
    const r = await request(s.t.app)
      .post(`/v1/runs/${run.id}/reservations`)
      .set(auth(s.key))
      .send({ steps: 1000, event: { kind: 'zcdp', rho: 1 } });
    expect(r.status).toBe(409);
    expect((await budgetOf(budget.id)).epsilon_spent).toBeLessThan(1);
  });
});

describe('item 13: small things', () => {
  it('refuses a lone surrogate (400, with its pointer) and keeps a surrogate pair intact', async () => {
    for (const raw of [
      '{"name":"\\ud800","epsilon":1,"delta":1e-5}',
      '{"name":"b","epsilon":1,"delta":1e-5,"description":"x\\udc00"}',
    ]) {
      const res = await request(s.t.app)
        .post('/v1/budgets')
        .set(auth(s.key))
        .set('Content-Type', 'application/json')
        .send(raw);
      expect(res.status, raw).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(['/name', '/description']).toContain(res.body.pointer);
    }
    const ok = await request(s.t.app)
      .post('/v1/budgets')
      .set(auth(s.key))
      .set('Content-Type', 'application/json')
      .send('{"name":"\\ud83d\\ude00","epsilon":1,"delta":1e-5}');
    expect(ok.status).toBe(201);
    expect((await request(s.t.app).get(`/v1/budgets/${ok.body.id}`).set(auth(s.key))).body.name).toBe('\u{1F600}');
  });

  it('answers 415 for a charset other than UTF-8, and accepts utf-8 spelled either way', async () => {
    for (const charset of ['utf-16', 'UTF-16LE', 'utf-32', 'latin1']) {
      const res = await request(s.t.app)
        .post('/v1/budgets')
        .set(auth(s.key))
        .set('Content-Type', `application/json; charset=${charset}`)
        .send('{"name":"b","epsilon":1,"delta":1e-5}');
      expect(res.status, charset).toBe(415);
      expect(res.body.code).toBe('unsupported_media_type');
    }
    for (const charset of ['utf-8', 'UTF-8', '"utf-8"']) {
      const res = await request(s.t.app)
        .post('/v1/budgets')
        .set(auth(s.key))
        .set('Content-Type', `application/json; charset=${charset}`)
        .send('{"name":"b","epsilon":1,"delta":1e-5}');
      expect(res.status, charset).toBe(201);
    }
  });

  it('answers DELETE and PUT on a known path with 405 and an Allow header', async () => {
    for (const method of ['delete', 'put'] as const) {
      const res = await request(s.t.app)[method]('/v1/budgets').set(auth(s.key));
      expect(res.status).toBe(405);
      expect(res.headers['allow']).toBe('GET, POST, HEAD');
      expect(res.body.code).toBe('method_not_allowed');
    }
  });

  it('names the real fault of an out-of-range number in a DpEvent', async () => {
    const { run } = await budgetAndRun(s.t, s.key);
    const cases: [unknown, string, RegExp][] = [
      [{ kind: 'gaussian', noise_multiplier: 1e20 }, '/events/0/noise_multiplier', /noise_multiplier must be <= /],
      [
        { kind: 'poisson_sampled', sampling_probability: 2, event: { kind: 'gaussian', noise_multiplier: 1 } },
        '/events/0/sampling_probability',
        /sampling_probability must be <= 1/,
      ],
      [
        { kind: 'self_composed', count: 3, event: { kind: 'laplace', noise_multiplier: -1 } },
        '/events/0/event/noise_multiplier',
        /noise_multiplier must be > 0/,
      ],
    ];
    for (const [event, pointer, message] of cases) {
      const res = await append(s.t, s.key, run.id, [event]);
      expect(res.status).toBe(400);
      expect(res.body.pointer).toBe(pointer);
      expect(res.body.detail).toMatch(message);
      expect(res.body.detail).not.toMatch(/additional properties/);
    }
  });

  it('refuses ?limit=0 instead of answering one event', async () => {
    const { run } = await budgetAndRun(s.t, s.key);
    await append(s.t, s.key, run.id, [step(), step()]);
    const res = await request(s.t.app).get(`/v1/runs/${run.id}/events`).query({ limit: '0' }).set(auth(s.key));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(
      (await request(s.t.app).get(`/v1/runs/${run.id}/events`).query({ limit: '1' }).set(auth(s.key))).body.events,
    ).toHaveLength(1);
  });

  it('the admin token is still refused on tenant routes and a garbage bearer on admin routes', async () => {
    expect((await request(s.t.app).get('/v1/budgets').set(auth(ADMIN))).status).toBe(401);
    expect((await request(s.t.app).get('/v1/api-keys').set({ Authorization: 'Bearer \u00e9' })).status).toBe(401);
  });
});
