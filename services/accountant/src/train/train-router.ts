/**
 * `/train` (issue 12, item 4): a logged-in tenant trains the tanh CNN with DP-SGD in the browser. The server side
 * only renders the page, serves its bundle, the tfjs wasm binaries and the shipped Fashion-MNIST sample, and, with
 * the dashboard session, creates a run and mints its run-scoped token (docs/design.md "Tokens"): the page never holds
 * the tenant's API key, and the data the user picks is never sent here.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { ServiceError } from '../errors.js';
import type { Ctx } from '../http/context.js';
import { createRun } from '../ledger/create-run.js';
import { mintRunToken } from '../run-tokens.js';
import { readCookie, type SessionTable } from '../dashboard/sessions.js';
import { trainPage } from './train-page.js';

/** Where `npm run build:train` writes the page bundle. */
export const DEFAULT_TRAIN_BUNDLE_DIR = fileURLToPath(
  new URL('../../../../packages/trainer/browser/train-dist/', import.meta.url),
);
const SAMPLE_DIR = fileURLToPath(
  new URL('../../../../packages/trainer/fixtures/fashion-mnist-sample/', import.meta.url),
);
const SAMPLE_FILES = [
  'train-images-idx3-ubyte.gz',
  'train-labels-idx1-ubyte.gz',
  't10k-images-idx3-ubyte.gz',
  't10k-labels-idx1-ubyte.gz',
];
const COOKIE = 'dpl_session';

/** The page runs only its own scripts and wasm, and talks only to this origin. */
const HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; worker-src 'self' blob:; " +
    "style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export interface TrainOptions {
  ctx: Pick<Ctx, 'store' | 'meters' | 'now' | 'config'>;
  sessions: SessionTable;
  /** Directory of the built page bundle (train.js and its chunks). */
  bundleDir?: string;
}

/** A JSON post from this origin only: Sec-Fetch-Site and Origin, when sent, must say so (CSRF). */
function sameOrigin(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = req.get('origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.host;
  } catch {
    return false;
  }
}

function wasmDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  } catch {
    return undefined;
  }
}

function positiveInt(v: unknown, name: string, max: number): number {
  if (!(typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= max)) {
    throw new ServiceError('validation_failed', `${name} must be an integer in [1, ${max}]`, { pointer: `/${name}` });
  }
  return v;
}

/**
 * The `/train` routes. Mount before the dashboard and the API's 404 handler.
 * @example app.use(createTrainRouter({ ctx, sessions }))
 */
export function createTrainRouter(opts: TrainOptions): Router {
  const { ctx, sessions } = opts;
  const bundleDir = opts.bundleDir ?? DEFAULT_TRAIN_BUNDLE_DIR;
  const wasm = wasmDir();
  const router = express.Router({ caseSensitive: true, strict: true });
  const json = express.json({ limit: '4kb', strict: true });

  const requireSession = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const session = await sessions.get(readCookie(req.get('cookie'), COOKIE));
    if (session === undefined) {
      if (req.method === 'GET') res.status(303).set(HEADERS).location('/').end();
      else next(new ServiceError('unauthorized', 'log in to the dashboard first'));
      return;
    }
    res.locals['tenant'] = session.tenant;
    res.locals['session_key_id'] = session.keyId;
    next();
  };

  router.get('/train', requireSession, async (_req, res) => {
    const tenant = res.locals['tenant'] as string;
    const budgets = await ctx.store.listBudgets(tenant);
    const page = trainPage({ tenant, budgets, bundleReady: existsSync(join(bundleDir, 'train.js')) });
    res.status(200).set(HEADERS).type('text/html; charset=utf-8').send(page);
  });

  // A run of the session's tenant on the budget it picked, with a token that can reserve, commit and close it.
  router.post('/train/runs', requireSession, json, async (req, res) => {
    if (!sameOrigin(req) || !req.is('application/json')) {
      throw new ServiceError('forbidden', 'cross-site request refused');
    }
    const tenant = res.locals['tenant'] as string;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const budgetId = body['budget_id'];
    if (typeof budgetId !== 'string' || budgetId.length === 0 || budgetId.length > 64) {
      throw new ServiceError('validation_failed', 'budget_id is required', { pointer: '/budget_id' });
    }
    const datasetSize = positiveInt(body['dataset_size'], 'dataset_size', 1e9);
    const batch = positiveInt(body['expected_batch_size'], 'expected_batch_size', datasetSize);
    const run = await createRun(ctx, tenant, {
      budget_id: budgetId,
      name: 'browser training (/train)',
      sampler: { kind: 'poisson', dataset_size: datasetSize, expected_batch_size: batch },
      noise_rng: 'secure',
      metadata: { source: '/train', model: 'tanh-cnn' },
    });
    // The token dies with the API key the session was opened with (run-tokens.ts RunTokenMinter).
    const minter = { tenant, keyId: res.locals['session_key_id'] as string | undefined };
    const minted = await mintRunToken(ctx.store, ctx.now, minter, run.id);
    const budget = await ctx.store.getBudget(tenant, budgetId);
    res
      .status(201)
      .set(HEADERS)
      .json({ ...minted, delta: budget!.delta, neighboring_relation: budget!.neighboring_relation });
  });

  router.get('/train/:file', (req, res, next) => {
    const file = String(req.params['file']);
    if (!/^[A-Za-z0-9_-]+\.js$/.test(file) || !readdirSafe(bundleDir).includes(file)) return next();
    res.set(HEADERS).type('text/javascript').sendFile(join(bundleDir, file));
  });

  router.get('/train/wasm/:file', (req, res, next) => {
    const file = String(req.params['file']);
    const wasmFile = /^tfjs-backend-wasm[a-z-]*\.wasm$/.test(file);
    if (wasm === undefined || !wasmFile || !readdirSafe(wasm).includes(file)) return next();
    res.set(HEADERS).type('application/wasm').sendFile(join(wasm, file));
  });

  router.get('/train/sample/:file', (req, res, next) => {
    const file = String(req.params['file']);
    if (!SAMPLE_FILES.includes(file)) return next();
    res.set(HEADERS).type('application/gzip').sendFile(join(SAMPLE_DIR, file));
  });

  return router;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
