// `npm run bench -w services/accountant -- --store postgres`: the accountant on PostgreSQL with 1, 2 and 3 replicas
// (separate `dpledger serve` processes on one throwaway cluster, clients spread round-robin), beside one SQLite
// replica, measured the same way in the same run: batched appends (100 events per request), single-event appends on
// one budget (every write locks that budget's row), and single-event appends spread over 64 budgets.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createApiKey, createClient } from '@dpledger/client';
import { startPgCluster } from '../dist/dev/pg-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'dpledger-bench-stores-'));
const bin = fileURLToPath(new URL('../../../packages/cli/dist/bin.js', import.meta.url));
const adminToken = 'bench-admin-token-0123456789';
const step = {
  kind: 'poisson_sampled',
  sampling_probability: 0.01,
  event: { kind: 'gaussian', noise_multiplier: 1.1 },
};
const sampler = { kind: 'poisson', dataset_size: 60000, expected_batch_size: 600 };
const fmt = (x) => x.toLocaleString('en-US', { maximumFractionDigits: 1 });
const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

function serveOne(name, env) {
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--port', '0', '--data-dir', join(dir, name), '--log-level', 'warn'],
    {
      env: { ...process.env, DPLEDGER_ADMIN_TOKEN: adminToken, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) ok({ url: m[1], child });
    });
    child.once('exit', (code) => fail(new Error(`dpledger serve exited with ${code}`)));
  });
}

async function measure(label, urls) {
  const { api_key } = await createApiKey(urls[0], adminToken, 'bench');
  const clients = urls.map((baseUrl) => createClient({ baseUrl, apiKey: api_key }));
  const on = (k) => clients[k % clients.length];
  const newRun = async (epsilon) => {
    const b = await clients[0].createBudget({ name: 'bench', epsilon, delta: 1e-5 });
    return clients[0].createRun({ budget_id: b.id, name: 'bench', sampler });
  };
  // Batched: 4 clients per replica, 100 events per request, each client on its own run of one budget.
  const b = await clients[0].createBudget({ name: 'batched', epsilon: 1000, delta: 1e-5 });
  const batchRuns = await Promise.all(
    Array.from({ length: 4 * urls.length }, () => clients[0].createRun({ budget_id: b.id, name: 'b', sampler })),
  );
  const batch = Array.from({ length: 100 }, () => step);
  await Promise.all(batchRuns.map((r, k) => on(k).appendEvents(r.id, batch)));
  let t0 = performance.now();
  await Promise.all(
    batchRuns.map(async (r, k) => {
      for (let i = 0; i < 10; i++) await on(k).appendEvents(r.id, batch);
    }),
  );
  const batched = (batchRuns.length * 10 * 100) / ((performance.now() - t0) / 1000);

  // Single events, 64 clients in a closed loop, all on one budget (and one run).
  const single = async (runOf) => {
    await Promise.all(Array.from({ length: 64 }, (_, k) => on(k).appendEvents(runOf(k).id, [step])));
    const lat = [];
    t0 = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async (_, k) => {
        for (let i = 0; i < 10; i++) {
          const t = performance.now();
          await on(k).appendEvents(runOf(k).id, [step]);
          lat.push(performance.now() - t);
        }
      }),
    );
    return { rate: lat.length / ((performance.now() - t0) / 1000), p50: pct(lat, 50), p99: pct(lat, 99) };
  };
  const shared = await newRun(1000);
  const one = await single(() => shared);
  const many = await Promise.all(Array.from({ length: 64 }, () => newRun(1000)));
  const spread = await single((k) => many[k]);
  console.log(
    `${label.padEnd(22)} batched ${fmt(batched).padStart(8)} events/s | ` +
      `one budget: ${fmt(one.rate).padStart(6)} events/s, p50 ${fmt(one.p50)} ms, p99 ${fmt(one.p99)} ms | ` +
      `64 budgets: ${fmt(spread.rate).padStart(6)} events/s, p50 ${fmt(spread.p50)} ms, p99 ${fmt(spread.p99)} ms`,
  );
}

async function withServers(list, fn) {
  try {
    await fn(list.map((s) => s.url));
  } finally {
    for (const s of list) s.child.kill('SIGTERM');
    await Promise.all(
      list.map((s) => new Promise((ok) => (s.child.exitCode !== null ? ok() : s.child.once('exit', ok)))),
    );
  }
}

export async function benchStores() {
  console.log(
    'accountant over loopback HTTP; 64 clients in a closed loop for single events; numbers from this machine, this run',
  );
  const cluster = await startPgCluster();
  try {
    await withServers([await serveOne('sqlite', {})], (urls) => measure('sqlite, 1 replica', urls));
    for (const n of [1, 2, 3]) {
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE bench_${n}`);
      await admin.end();
      const url = cluster.url.replace(/\/postgres$/, `/bench_${n}`);
      const servers = await Promise.all(
        Array.from({ length: n }, (_, k) => serveOne(`pg-${n}-${k}`, { DPLEDGER_DATABASE_URL: url })),
      );
      await withServers(servers, (urls) => measure(`postgres, ${n} replica${n > 1 ? 's' : ''}`, urls));
    }
  } finally {
    cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
