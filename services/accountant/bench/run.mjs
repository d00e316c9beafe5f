// Benchmark of the accountant over loopback HTTP (run after a build: `npx tsc -b packages/cli`); an argument
// (throughput, race or latency) runs one section. The server is
// `dpledger serve` in its own process, as deployed; the clients run in this one. Each figure is printed with a
// ratio to a baseline measured in this same run: raw better-sqlite3 inserts of the same event records, 100 per
// transaction, with no HTTP, validation or accounting, at the same SQLite durability setting.
// `-- --store postgres` runs bench/stores.mjs instead: PostgreSQL with 1, 2 and 3 replicas beside SQLite.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { RdpAccountant } from '@dpledger/accounting';
import { BudgetExhaustedError, createApiKey, createClient } from '@dpledger/client';

const dir = mkdtempSync(join(tmpdir(), 'dpledger-bench-'));
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

function rawSqliteEventsPerSecond(sync, n) {
  const db = new Database(join(dir, `raw-${sync}.sqlite`));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.exec(
    'CREATE TABLE events (run_id TEXT, sequence INTEGER, event TEXT, recorded_at TEXT, ' +
      'PRIMARY KEY (run_id, sequence)) WITHOUT ROWID',
  );
  const ins = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?)');
  const batch = db.transaction((from) => {
    for (let i = from; i < from + 100; i++) ins.run('run_x', i, JSON.stringify(step), new Date().toISOString());
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i += 100) batch(i);
  const s = (performance.now() - t0) / 1000;
  db.close();
  return n / s;
}

async function serve(sync) {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
      bin,
      'serve',
      '--port',
      '0',
      '--data-dir',
      join(dir, `svc-${sync}`),
      '--log-level',
      'warn',
    ],
    {
      env: { ...process.env, DPLEDGER_ADMIN_TOKEN: adminToken, DPLEDGER_SQLITE_SYNCHRONOUS: sync },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) ok(m[1]);
    });
    child.once('exit', (code) => fail(new Error(`dpledger serve exited with ${code}`)));
  });
  const { api_key } = await createApiKey(url, adminToken, 'bench');
  const c = createClient({ baseUrl: url, apiKey: api_key });
  const newRun = async (epsilon) => {
    const b = await c.createBudget({ name: 'bench', epsilon, delta: 1e-5 });
    return { budget: b, run: await c.createRun({ budget_id: b.id, name: 'bench', sampler }) };
  };
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((ok) => child.once('exit', ok));
  };
  return { c, newRun, stop, url };
}

async function serverCpuSeconds(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1] ?? NaN);
}

async function throughputAndLatency(sync) {
  const baseline = rawSqliteEventsPerSecond(sync, 50_000);
  console.log(
    `[synchronous=${sync}] baseline raw SQLite inserts (100/transaction, no HTTP): ${fmt(baseline)} events/s`,
  );
  const { c, newRun, stop, url } = await serve(sync);
  try {
    const { run } = await newRun(1000);
    const batch = Array.from({ length: 100 }, () => step);
    await Promise.all([0, 1, 2, 3].map(() => c.appendEvents(run.id, batch)));
    const requests = 300;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        while (next++ < requests) await c.appendEvents(run.id, batch);
      }),
    );
    const rate = (requests * 100) / ((performance.now() - t0) / 1000);
    console.log(
      `[synchronous=${sync}] append, batches of 100 over HTTP, 4 clients: ${fmt(rate)} events/s ` +
        `(target >= 20,000; ${fmt(rate / baseline)} x baseline)`,
    );

    const single = (await newRun(1000)).run;
    // open 64 keep-alive connections
    await Promise.all(Array.from({ length: 64 }, () => c.appendEvents(single.id, [step])));
    const lat = [];
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        for (let i = 0; i < 20; i++) {
          const t = performance.now();
          await c.appendEvents(single.id, [step]);
          lat.push(performance.now() - t);
        }
      }),
    );
    const rawBatchMs = 100_000 / baseline;
    const [latP50, latP99] = [pct(lat, 50), pct(lat, 99)];
    console.log(
      `[synchronous=${sync}] single-event append, 64 clients in a closed loop (saturation): ` +
        `p50 ${fmt(latP50)} ms, p99 ${fmt(latP99)} ms ` +
        `(target p99 < 10 ms; p99 = ${fmt(latP99 / rawBatchMs)} x one raw 100-row transaction)`,
    );

    // Open loop: each of 64 clients appends once every 500 ms (a trainer logging each step).
    const period = 500;
    const cpu0 = await serverCpuSeconds(url);
    const paced = [];
    await Promise.all(
      Array.from({ length: 64 }, async (_, k) => {
        await new Promise((r) => setTimeout(r, (k * period) / 64));
        for (let i = 0; i < 10; i++) {
          const t = performance.now();
          await c.appendEvents(single.id, [step]);
          const ms = performance.now() - t;
          paced.push(ms);
          await new Promise((r) => setTimeout(r, Math.max(0, period - ms)));
        }
      }),
    );
    const cpuMs = (((await serverCpuSeconds(url)) - cpu0) * 1000) / paced.length;
    console.log(
      `[synchronous=${sync}] server CPU per single-event append (process_cpu_seconds_total): ${fmt(cpuMs)} ms`,
    );
    const [pacedP50, pacedP99] = [pct(paced, 50), pct(paced, 99)];
    console.log(
      `[synchronous=${sync}] single-event append, 64 clients each every ${period} ms ` +
        `(${fmt((64 * 1000) / period)} req/s offered): p50 ${fmt(pacedP50)} ms, p99 ${fmt(pacedP99)} ms ` +
        `(target p99 < 10 ms; p99 = ${fmt(pacedP99 / rawBatchMs)} x one raw 100-row transaction)`,
    );
  } finally {
    await stop();
  }
}

async function race() {
  const { c, newRun, stop } = await serve('full');
  try {
    const limit = 2;
    const { budget, run } = await newRun(limit);
    let acked = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        for (;;) {
          try {
            await c.appendEvents(run.id, [step]);
            acked++;
          } catch (err) {
            if (err instanceof BudgetExhaustedError) return;
            throw err;
          }
        }
      }),
    );
    const records = await c.listEvents(run.id);
    const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });
    for (const r of records) acc.compose(r.event);
    const eps = acc.getEpsilon(1e-5);
    const spent = (await c.getBudget(budget.id)).epsilon_spent;
    const overspend = (eps > limit ? 1 : 0) + (records.length !== acked ? 1 : 0);
    console.log(
      `race: 64 clients, one budget (epsilon ${limit}): ${acked} acknowledged, ${records.length} stored, ` +
        `recomputed epsilon ${eps.toFixed(6)}, service says ${spent.toFixed(6)}; overspend count: ${overspend}`,
    );
  } finally {
    await stop();
  }
}

const storeFlag = process.argv.indexOf('--store');
if (storeFlag !== -1) {
  const store = process.argv[storeFlag + 1];
  if (store !== 'postgres') throw new Error(`--store takes 'postgres' (SQLite is measured beside it), got '${store}'`);
  const { benchStores } = await import('./stores.mjs');
  await benchStores();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

// The latency guard: one tenant sends the heaviest valid requests back to back while another tenant's ordinary
// requests are timed, against the same requests with no attacker, in the same server.
// synchronous=normal: an fsync per commit would time the disk (shared, noisy), not the service's own work.
async function latencyGuard() {
  const { c, newRun, stop, url } = await serve('normal');
  try {
    const { api_key } = await createApiKey(url, adminToken, 'victim');
    const victim = createClient({ baseUrl: url, apiKey: api_key });
    const vb = await victim.createBudget({ name: 'victim', epsilon: 1000, delta: 1e-5 });
    const vr = await victim.createRun({ budget_id: vb.id, name: 'victim', sampler });
    const ops = {
      healthz: async () => void (await (await fetch(`${url}/healthz`)).arrayBuffer()),
      'GET /v1/budgets': () => victim.listBudgets(),
      'append 1 step': () => victim.appendEvents(vr.id, [step]),
    };
    const measure = async (seconds) => {
      const lat = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
      const end = performance.now() + seconds * 1000;
      while (performance.now() < end) {
        for (const [name, op] of Object.entries(ops)) {
          const t = performance.now();
          await op();
          lat[name].push(performance.now() - t);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      return lat;
    };
    // The server's own event-loop delay over a phase (prom-client resets its histogram on each scrape), so the
    // service's blocking can be told apart from this machine's CPU contention.
    const loopLag = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const get = (name) => 1000 * Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      const lagP99 = fmt(get('nodejs_eventloop_lag_p99_seconds'));
      const lagMax = fmt(get('nodejs_eventloop_lag_max_seconds'));
      return `server event-loop delay p99 ${lagP99} ms, max ${lagMax} ms`;
    };
    const show = async (label, lat) => {
      const all = Object.values(lat).flat();
      console.log(
        `latency guard, other tenant ${label}: all ${all.length} requests ` +
          `p50 ${fmt(pct(all, 50))} ms, p99 ${fmt(pct(all, 99))} ms; ${await loopLag()}`,
      );
      for (const [name, xs] of Object.entries(lat))
        console.log(
          `  ${name}: p50 ${fmt(pct(xs, 50))} ms, p99 ${fmt(pct(xs, 99))} ms, max ${fmt(Math.max(...xs))} ms`,
        );
      return pct(all, 99);
    };
    await measure(1); // warm up
    await loopLag();
    const unloaded = await show('unloaded', await measure(6));

    // The heaviest valid requests (openapi.yaml "Limits"): a composed event of 256 distinct new leaves (256 new
    // RDP curves), a commit of 1,000 records, and a PLD budget check (the PLD worker on a growing ledger).
    let stopAttack = false;
    const done = { leaves: 0, records: 0, pld: 0 };
    let sigma = 1;
    // Each new run takes one such event (256 distinct leaves per run); the budget is used until its ledger is full.
    const leaves = async () => {
      let budget = (await newRun(1000)).budget;
      while (!stopAttack) {
        const run = await c.createRun({ budget_id: budget.id, name: 'leaves', sampler });
        const events = Array.from({ length: 256 }, () => ({
          kind: 'poisson_sampled',
          sampling_probability: 0.01,
          event: { kind: 'gaussian', noise_multiplier: (sigma += 1e-6) },
        }));
        try {
          await c.appendEvents(run.id, [{ kind: 'composed', events }]);
          done.leaves++;
        } catch (err) {
          if (err?.code !== 'limit_exceeded') throw err;
          budget = (await newRun(1000)).budget;
        }
      }
    };
    const records = async () => {
      const { run } = await newRun(1000);
      while (!stopAttack) {
        const r = await c.reserve(run.id, { steps: 1000, event: step });
        await c.commit(r.id, 1000);
        done.records++;
      }
    };
    const pld = async () => {
      const b = await c.createBudget({ name: 'pld', epsilon: 1.6, delta: 1e-5, accountant: 'pld' });
      const run = await c.createRun({ budget_id: b.id, name: 'pld', sampler });
      // A different count each time: a new ledger for the PLD accountant to compose (no cached figure).
      for (let i = 0; !stopAttack; i++) {
        try {
          await c.appendEvents(run.id, [{ kind: 'self_composed', count: 50 + i, event: step }]);
        } catch (err) {
          if (!(err instanceof BudgetExhaustedError)) throw err;
        }
        done.pld++;
      }
    };
    // BENCH_ATTACK=leaves,records,pld picks the attackers (default: all three at once).
    const chosen = (process.env.BENCH_ATTACK ?? 'leaves,records,pld').split(',');
    const attack = Promise.all(
      Object.entries({ leaves, records, pld })
        .filter(([k]) => chosen.includes(k))
        .map(([, f]) => f()),
    );
    await new Promise((r) => setTimeout(r, 500));
    await loopLag();
    const p99 = await show('while one tenant sends the heaviest valid requests', await measure(8));
    stopAttack = true;
    const t0 = performance.now();
    await attack;
    console.log(`  (the attacker's last requests finished ${fmt(performance.now() - t0)} ms after the measurement)`);
    console.log(
      `  attacker completed: ${done.leaves} appends of a composed event with 256 new leaves, ` +
        `${done.records} commits of 1,000 records, ${done.pld} PLD budget checks`,
    );
    // The ratio tells the service's share apart from this machine's speed: both p99s come from this run.
    console.log(
      `latency guard: other tenant p99 unloaded ${fmt(unloaded)} ms, under attack ${fmt(p99)} ms ` +
        `(${fmt(p99 / unloaded)} x unloaded); target under attack < 50 ms: ${p99 < 50 ? 'PASS' : 'FAIL'}`,
    );
  } finally {
    await stop();
  }
}

// `node bench/run.mjs latency` runs only the latency guard.
const only = process.argv[2];
try {
  if (only === undefined || only === 'throughput') {
    await throughputAndLatency('full');
    await throughputAndLatency('normal');
  }
  if (only === undefined || only === 'race') await race();
  if (only === undefined || only === 'latency') await latencyGuard();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
