import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  buildComplianceModel,
  buildStatement,
  eventLogCommitment,
  generateSigningKey,
  signReport,
  type InTotoStatement,
  type PrivacyReportPredicate,
} from '@dpledger/audit';
import { createDashboardRouter } from './index.js';
import type {
  DashboardBudget,
  DashboardEnvelope,
  DashboardEventRecord,
  DashboardRun,
  DashboardSource,
} from './source.js';

const EVIL = '<script>alert("x")</script>';
const step = {
  kind: 'poisson_sampled',
  sampling_probability: 0.02,
  event: { kind: 'gaussian', noise_multiplier: 1.1 },
} as const;

function budget(id: string, name: string): DashboardBudget {
  return {
    id,
    name,
    epsilon: 3,
    delta: 1e-5,
    accountant: 'rdp',
    neighboring_relation: 'add_or_remove_one',
    epsilon_spent: 1.2,
    epsilon_reserved: 1.5,
    epsilon_remaining: 1.5,
    run_count: 1,
    created_at: '2026-01-01T00:00:00.000Z',
  };
}

function run(id: string, budgetId: string, name: string, status: 'open' | 'closed'): DashboardRun {
  return {
    id,
    budget_id: budgetId,
    name,
    sampler: { kind: 'poisson', dataset_size: 5000, expected_batch_size: 100 },
    noise_rng: 'secure',
    status,
    event_count: 20,
    epsilon_spent: 1.2,
    created_at: '2026-01-01T00:00:00.000Z',
  };
}

/** Two tenants, each with a budget and a closed run with a signed report, plus an open run of acme. */
function fixture() {
  const key = generateSigningKey();
  const records: Record<string, DashboardEventRecord[]> = {};
  const reports: Record<string, DashboardEnvelope> = {};
  const tenants: Record<string, { budgets: DashboardBudget[]; runs: DashboardRun[] }> = {
    acme: {
      budgets: [budget('b-acme', EVIL)],
      runs: [run('r-open', 'b-acme', 'still training', 'open'), run('r-acme', 'b-acme', `run ${EVIL}`, 'closed')],
    },
    other: {
      budgets: [budget('b-other', 'other tenant budget')],
      runs: [run('r-other', 'b-other', 'other tenant run', 'closed')],
    },
  };
  for (const t of Object.values(tenants)) {
    for (const r of t.runs) {
      records[r.id] = Array.from({ length: 20 }, (_, i) => ({
        sequence: i,
        run_id: r.id,
        event: step,
        recorded_at: '2026-01-01T00:00:01.000Z',
      }));
      if (r.status !== 'closed') continue;
      const predicate: PrivacyReportPredicate = {
        run: { id: r.id, name: r.name, created_at: r.created_at, closed_at: '2026-01-01T00:01:00.000Z' },
        budget: { id: r.budget_id, name: 'b', epsilon: 3, delta: 1e-5, accountant: 'rdp' },
        neighboring_relation: 'add_or_remove_one',
        sampler: r.sampler,
        noise_rng: 'secure',
        ledger: { kind: 'composed', events: [{ kind: 'self_composed', count: 20, event: step }] },
        event_count: 20,
        merkle_root: eventLogCommitment(records[r.id]!),
        epsilon: {
          delta: 1e-5,
          rdp: { epsilon: 1.2, order: 14 },
          pld: { epsilon: 1.1, value_discretization_interval: 1e-4 },
        },
        budget_remaining: { epsilon: 1.8 },
        issued_at: '2026-01-01T00:01:00.000Z',
        service: { name: 'dpledger-accountant', version: 'test' },
      };
      reports[r.id] = signReport(
        buildStatement({
          model_digest: { sha256: 'a'.repeat(64) },
          dataset_digest: { sha256: 'b'.repeat(64) },
          predicate,
        }),
        key,
      );
    }
  }
  const keys = { acme: 'key-acme', other: 'key-other' } as Record<string, string>;
  const owns = (tenant: string, runId: string) => tenants[tenant]?.runs.find((r) => r.id === runId);
  const source: DashboardSource = {
    authenticate: async (k) => {
      const tenant = Object.keys(keys).find((t) => keys[t] === k);
      return tenant === undefined ? undefined : { tenant };
    },
    listBudgets: async (t) => tenants[t]?.budgets ?? [],
    listRuns: async (t) => tenants[t]?.runs ?? [],
    getRun: async (t, id) => owns(t, id),
    listEvents: async (t, id) => (owns(t, id) ? records[id]! : []),
    getReport: async (t, id) => (owns(t, id) ? reports[id] : undefined),
    listKeys: async () => [key.publicJwk],
  };
  const app = express();
  app.use(createDashboardRouter({ source }));
  return { app, key, reports, tenants, records };
}

async function login(app: express.Express, apiKey: string): Promise<string> {
  const res = await request(app).post('/login').type('form').send({ api_key: apiKey });
  expect(res.status).toBe(303);
  const cookie = String(res.headers['set-cookie']);
  return cookie.split(';')[0]!;
}

describe('dashboard', () => {
  it('shows a login form, refuses a wrong key, opens an HttpOnly SameSite=Strict session for a right one', async () => {
    const { app } = fixture();
    const page = await request(app).get('/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<form method="post" action="/login"');
    expect(page.headers['set-cookie']).toBeUndefined();
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");

    const bad = await request(app).post('/login').type('form').send({ api_key: 'nope' });
    expect(bad.status).toBe(401);
    expect(bad.headers['set-cookie']).toBeUndefined();

    const ok = await request(app).post('/login').type('form').send({ api_key: 'key-acme' });
    expect(ok.status).toBe(303);
    expect(ok.headers['location']).toBe('/');
    const cookie = String(ok.headers['set-cookie']);
    expect(cookie).toMatch(/^dpl_session=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain('key-acme');
  });

  it('refuses a cross-site login post', async () => {
    const { app } = fixture();
    const res = await request(app)
      .post('/login')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ api_key: 'key-acme' });
    expect(res.status).toBe(403);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('escapes every name it renders', async () => {
    const { app } = fixture();
    const cookie = await login(app, 'key-acme');
    const home = await request(app).get('/').set('Cookie', cookie);
    expect(home.status).toBe(200);
    expect(home.text).not.toContain(EVIL);
    expect(home.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(home.text).toContain('class="gauge"');
    const page = await request(app).get('/runs/r-acme').set('Cookie', cookie);
    expect(page.text).not.toContain(EVIL);
    expect(page.text).toContain('run &lt;script&gt;');
  });

  it("shows only the logged-in tenant's budgets and runs; another tenant's run is not found", async () => {
    const { app } = fixture();
    const cookie = await login(app, 'key-acme');
    const home = await request(app).get('/').set('Cookie', cookie);
    expect(home.text).not.toContain('other tenant');
    expect((await request(app).get('/runs/r-other').set('Cookie', cookie)).status).toBe(404);
    expect((await request(app).get('/runs/r-other/report.json').set('Cookie', cookie)).status).toBe(404);
    const otherCookie = await login(app, 'key-other');
    expect((await request(app).get('/runs/r-other').set('Cookie', otherCookie)).status).toBe(200);
  });

  it('sends a request without a session back to the login page', async () => {
    const { app } = fixture();
    const res = await request(app).get('/runs/r-acme/report.json');
    expect(res.status).toBe(303);
    expect(res.headers['location']).toBe('/');
    const forged = await request(app).get('/runs/r-acme').set('Cookie', 'dpl_session=forged');
    expect(forged.status).toBe(303);
  });

  it('shows a closed run as verified, with its curve and downloads that match the stored report', async () => {
    const { app, reports, key } = fixture();
    const cookie = await login(app, 'key-acme');
    const page = await request(app).get('/runs/r-acme').set('Cookie', cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<span id="verification" class="status ok">verified</span>');
    expect(page.text).toContain(key.publicJwk.kid);
    expect(page.text).toContain('Merkle root recomputed from the event log matches');
    expect(page.text).toMatch(/<path class="eps" d="M[^"]+L/);
    expect(page.text).not.toContain('http-equiv="refresh"');
    expect(page.text).toContain('none (no canaries)');
    const json = await request(app).get('/runs/r-acme/report.json').set('Cookie', cookie);
    expect(json.headers['content-disposition']).toContain('attachment');
    expect(JSON.parse(json.text)).toEqual(reports['r-acme']);
    const htmlReport = await request(app).get('/runs/r-acme/report.html').set('Cookie', cookie);
    expect(htmlReport.status).toBe(200);
    expect(htmlReport.text).toContain('<svg');
    const pdf = await request(app)
      .get('/runs/r-acme/report.pdf')
      .set('Cookie', cookie)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect((pdf.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it("shows a run's one-run audit beside its epsilon, flagged when the lower bound exceeds it", async () => {
    const { app, tenants } = fixture();
    const audit = {
      method: 'steinke2023',
      canary_kind: 'gradient',
      selection: 'bonferroni',
      canaries: 1000,
      k_plus: 50,
      k_minus: 0,
      guesses: 50,
      correct: 40,
      significance: 0.05,
      test_significance: 0.0025,
      hypotheses: 20,
      delta: 1e-5,
      epsilon_lower: 0.5,
      confidence: 0.95,
    } as const;
    tenants['acme']!.runs[1]!.audit = { ...audit };
    const cookie = await login(app, 'key-acme');
    const page = (await request(app).get('/runs/r-acme').set('Cookie', cookie)).text;
    expect(page).toContain('<span id="audit" class="status ok">epsilon_lower 0.5</span>');
    expect(page).toContain('40 of 50 right on 1000 gradient canaries');
    tenants['acme']!.runs[1]!.audit = { ...audit, epsilon_lower: 2 };
    expect((await request(app).get('/runs/r-acme').set('Cookie', cookie)).text).toContain(
      '<span id="audit" class="status error">epsilon_lower 2</span>',
    );
    tenants['acme']!.runs[1]!.audit = { ...audit, epsilon_lower: 0.49999 }; // a lower bound is shown rounded down
    expect((await request(app).get('/runs/r-acme').set('Cookie', cookie)).text).toContain(
      'epsilon_lower 0.4999</span>',
    );
  });

  it('says "verification failed" for a report whose payload was changed', async () => {
    const { app, reports } = fixture();
    const env = reports['r-acme']!;
    const payload = Buffer.from(env.payload, 'base64');
    payload[payload.length - 3]! ^= 1;
    reports['r-acme'] = { ...env, payload: payload.toString('base64') };
    const cookie = await login(app, 'key-acme');
    const page = await request(app).get('/runs/r-acme').set('Cookie', cookie);
    expect(page.text).toContain('verification failed');
    expect(page.text).not.toContain('class="status ok">verified');
  });

  it('says "verified" iff the compliance model does: not for a changed log or over budget (issue 14.1)', async () => {
    const { app, reports, records, key } = fixture();
    const cookie = await login(app, 'key-acme');
    const verdict = async () => {
      const page = (await request(app).get('/runs/r-acme').set('Cookie', cookie)).text;
      const report = (await request(app).get('/runs/r-acme/report.html').set('Cookie', cookie)).text;
      const model = buildComplianceModel({
        envelope: reports['r-acme']!,
        keys: [key.publicJwk],
        events: records['r-acme']!,
      });
      expect(page.includes('class="status ok">verified</span>')).toBe(model.verified);
      expect(report).toContain(`data-verified="${model.verified}"`);
      return { page, verified: model.verified };
    };
    expect((await verdict()).verified).toBe(true);
    // a stored record changed after signing: the signature still holds, the Merkle check fails
    const log = records['r-acme']!;
    log[3] = { ...log[3]!, event: { ...step, sampling_probability: 0.5 } };
    const changed = await verdict();
    expect(changed.verified).toBe(false);
    expect(changed.page).toContain('verification failed');
    expect(changed.page).toContain('Merkle root recomputed from the event log');
    log[3] = { ...log[3]!, event: step };
    // validly signed, but the report itself says the budget was overdrawn
    const statement = JSON.parse(Buffer.from(reports['r-acme']!.payload, 'base64').toString('utf8')) as InTotoStatement;
    const predicate = { ...statement.predicate, budget_remaining: { epsilon: -0.5 } };
    reports['r-acme'] = signReport(
      buildStatement({
        model_digest: { sha256: 'a'.repeat(64) },
        dataset_digest: { sha256: 'b'.repeat(64) },
        predicate,
      }),
      key,
    );
    const over = await verdict();
    expect(over.verified).toBe(false);
    expect(over.page).toContain('Within budget: ');
  });

  it("refreshes an open run's page and ends the session on logout", async () => {
    const { app } = fixture();
    const cookie = await login(app, 'key-acme');
    const page = await request(app).get('/runs/r-open').set('Cookie', cookie);
    expect(page.text).toContain('<meta http-equiv="refresh" content="5">');
    expect(page.text).toContain('signed when the run is closed');
    const out = await request(app).post('/logout').set('Cookie', cookie);
    expect(out.status).toBe(303);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await request(app).get('/runs/r-open').set('Cookie', cookie)).status).toBe(303);
  });
});
