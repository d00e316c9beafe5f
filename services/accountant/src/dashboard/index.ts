/**
 * The accountant's dashboard, mounted at `/`: server-rendered HTML (no front-end build, no scripts), API-key login
 * into an HttpOnly SameSite=Strict session cookie, budgets with gauges, runs with epsilon-versus-step curves, and
 * each closed run's signed report with its verification status and downloads (JSON, HTML, PDF).
 */
import express, { type Request, type Response, type NextFunction, type Router } from 'express';
import { AuditError, buildComplianceModel, renderReportHtml, renderReportPdf } from '@dpledger/audit';
import { CurveCache } from './curve-cache.js';
import { loginPage, notFoundPage, overviewPage, runPage, type ReportView } from './pages.js';
import { LoginLimiter } from './login-limiter.js';
import { SessionTable, readCookie } from './sessions.js';
import type { DashboardSource } from './source.js';

export type { DashboardLogin, DashboardSource } from './source.js';
export { LoginLimiter, DEFAULT_LOGIN_LIMITS, type LoginLimits } from './login-limiter.js';
export {
  SessionTable,
  MemorySessionStore,
  type SessionOptions,
  DEFAULT_SESSION_IDLE_MS,
  DEFAULT_SESSION_MAX_AGE_MS,
  DEFAULT_SESSIONS_PER_TENANT,
} from './sessions.js';
export { storeSource } from './store-source.js';

/** Dashboard wiring: where it reads from, its session table (default: in memory) and login limits. */
export interface DashboardOptions {
  source: DashboardSource;
  sessions?: SessionTable;
  limiter?: LoginLimiter;
  now?: () => number;
  /** Each run's epsilon curve, kept between views (a refresh prices only new records). */
  curves?: CurveCache;
}

const COOKIE = 'dpl_session';
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on our own form posts
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

function sendHtml(res: Response, status: number, body: string): void {
  res.status(status).set(SECURITY_HEADERS).type('text/html; charset=utf-8').send(body);
}

/** Refuses a cross-site form post (login CSRF): Sec-Fetch-Site and Origin, when sent, must say this site. */
/** The report's compliance model (as report.html renders it), or why the report could not be read at all. */
function complianceView(input: Parameters<typeof buildComplianceModel>[0]): ReportView {
  try {
    return { state: 'model', model: buildComplianceModel(input) };
  } catch (err) {
    if (err instanceof AuditError) return { state: 'unreadable', reason: err.code };
    throw err;
  }
}

function sameOrigin(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.get('origin');
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === req.host; // the Host header, or X-Forwarded-Host from a trusted proxy
  } catch {
    return false;
  }
}

/**
 * Builds the dashboard router. Mount it at `/` before the API's own 404 handler.
 * @example app.use(createDashboardRouter({ source: storeSource(store, keyRing) }));
 */
export function createDashboardRouter(opts: DashboardOptions): Router {
  const { source } = opts;
  const sessions = opts.sessions ?? new SessionTable();
  const limiter = opts.limiter ?? new LoginLimiter();
  const now = opts.now ?? Date.now;
  const curves = opts.curves ?? new CurveCache();
  const router = express.Router({ caseSensitive: true, strict: true });
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 4 });

  const tenantOf = async (req: Request): Promise<string | undefined> =>
    (await sessions.get(readCookie(req.get('cookie'), COOKIE)))?.tenant;
  const requireLogin = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const tenant = await tenantOf(req);
    if (tenant === undefined) {
      res.status(303).set(SECURITY_HEADERS).location('/').end();
      return;
    }
    res.locals['tenant'] = tenant;
    next();
  };
  const setCookie = (req: Request, res: Response, value: string, maxAge: number): void => {
    res.set(
      'Set-Cookie',
      `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${req.secure ? '; Secure' : ''}`,
    );
  };

  router.get('/', async (req, res) => {
    const tenant = await tenantOf(req);
    if (tenant === undefined) return sendHtml(res, 200, loginPage());
    const [budgets, runs] = await Promise.all([source.listBudgets(tenant), source.listRuns(tenant)]);
    sendHtml(res, 200, overviewPage({ tenant, budgets, runs }));
  });

  router.post('/login', form, async (req, res) => {
    if (!sameOrigin(req)) return sendHtml(res, 403, loginPage('Cross-site login refused.'));
    const tooMany = (wait: number) => {
      res.set('Retry-After', String(wait));
      sendHtml(res, 429, loginPage('Too many login attempts; try again later.'));
    };
    // req.ip is the client's address only when `trust proxy` names the proxy in front (see http/transport.ts).
    const ipWait = limiter.attempt(req.ip ?? req.socket.remoteAddress ?? '?', now());
    if (ipWait > 0) return tooMany(ipWait);
    const key: unknown = (req.body as Record<string, unknown> | undefined)?.['api_key'];
    const login =
      typeof key === 'string' && key.length > 0 && key.length <= 512
        ? await source.authenticate(key.trim())
        : undefined;
    if (login === undefined) return sendHtml(res, 401, loginPage('That API key is not valid.'));
    const { tenant } = login;
    const tenantWait = limiter.login(tenant, now());
    if (tenantWait > 0) return tooMany(tenantWait);
    await sessions.close(readCookie(req.get('cookie'), COOKIE));
    // The session remembers the key it was opened with: revoking that key ends it (sessions.ts).
    setCookie(req, res, await sessions.open(tenant, login.keyId), sessions.maxAgeSeconds);
    res.status(303).set(SECURITY_HEADERS).location('/').end();
  });

  router.post('/logout', async (req, res) => {
    if (sameOrigin(req)) await sessions.close(readCookie(req.get('cookie'), COOKIE));
    setCookie(req, res, '', 0);
    res.status(303).set(SECURITY_HEADERS).location('/').end();
  });

  router.get('/runs/:runId', requireLogin, async (req, res) => {
    const tenant = res.locals['tenant'] as string;
    const runId = String(req.params['runId']);
    const run = await source.getRun(tenant, runId);
    if (run === undefined) return sendHtml(res, 404, notFoundPage(tenant));
    const budget = (await source.listBudgets(tenant)).find((b) => b.id === run.budget_id);
    const pager =
      source.listEventsAfter !== undefined
        ? (after: number, limit: number) => source.listEventsAfter!(tenant, runId, after, limit)
        : async (after: number, limit: number) =>
            (await source.listEvents(tenant, runId)).filter((r) => r.sequence > after).slice(0, limit);
    const curve = await curves.curve(
      `${tenant}\u0000${runId}`,
      {
        delta: budget?.delta ?? 1e-5,
        neighboringRelation: budget?.neighboring_relation ?? 'add_or_remove_one',
      },
      run.event_count,
      pager,
    );
    const envelope = run.status === 'closed' ? await source.getReport(tenant, runId) : undefined;
    // Only a closed run's report reads the whole log (its checks recompute the Merkle root); it does not refresh.
    const report: ReportView =
      envelope === undefined
        ? { state: 'missing' }
        : complianceView({ envelope, keys: await source.listKeys(), events: await source.listEvents(tenant, runId) });
    sendHtml(res, 200, runPage({ tenant, run, budget, curve, report }));
  });

  router.get('/runs/:runId/report.:format', requireLogin, async (req, res) => {
    const tenant = res.locals['tenant'] as string;
    const runId = String(req.params['runId']);
    const format = String(req.params['format']);
    const envelope = await source.getReport(tenant, runId);
    if (envelope === undefined || !['json', 'html', 'pdf'].includes(format))
      return sendHtml(res, 404, notFoundPage(tenant));
    const file = `report-${runId.replace(/[^A-Za-z0-9._-]/g, '_')}.${format}`;
    res.set(SECURITY_HEADERS);
    if (format === 'json') {
      res
        .attachment(file)
        .type('application/json')
        .send(`${JSON.stringify(envelope, null, 2)}\n`);
      return;
    }
    const input = { envelope, keys: await source.listKeys(), events: await source.listEvents(tenant, runId) };
    if (format === 'html') {
      res.type('text/html; charset=utf-8').send(renderReportHtml(input));
      return;
    }
    res
      .attachment(file)
      .type('application/pdf')
      .send(await renderReportPdf(input));
  });

  return router;
}
