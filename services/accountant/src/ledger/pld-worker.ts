/**
 * PLD figures off the event loop: one worker thread composes ledgers with @dpledger/accounting's PldAccountant,
 * one at a time, each within a time limit (counted from the call, so a long queue cannot stall a request). A call
 * that runs out of time ends the worker (the next call starts a fresh one) and rejects; so does a worker error.
 * The caller (Meters) then has no PLD figure and the RDP bound decides, which is never below a valid epsilon.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker as NodeWorker } from 'node:worker_threads';
import { AccountingError, type DpEvent, type NeighboringRelation } from '@dpledger/accounting';
import { PLD_INTERVAL } from './pld-epsilon.js';
import { PLD_WORKER_SOURCE } from './pld-worker-source.js';

/** Default time limit of one PLD figure, queueing included. */
export const PLD_TIME_LIMIT_MS = 5000;

interface Job {
  id: number;
  msg: { id: number; relation: NeighboringRelation; ledger: readonly DpEvent[]; delta: number; interval: number };
  deadline: number;
  resolve: (v: number) => void;
  reject: (e: unknown) => void;
}

/**
 * The file URL of @dpledger/accounting's built module (its package "default" export), found from wherever the
 * package resolves (its TypeScript source under vitest's "source" condition): a worker cannot load TypeScript.
 */
function accountingModuleUrl(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@dpledger/accounting'));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; exports?: { '.'?: { default?: string } } };
      if (pkg.name === '@dpledger/accounting')
        return pathToFileURL(join(dir, pkg.exports?.['.']?.default ?? 'dist/index.js')).href;
    }
    const up = dirname(dir);
    if (up === dir) throw new PldUnavailable('@dpledger/accounting has no package.json');
    dir = up;
  }
}

/**
 * The parent's Node flags without a `source` export condition (vitest adds `--conditions source` so tests run on
 * TypeScript): the worker runs built JavaScript, so every package it imports, @dpledger/accounting's own
 * dependency @dpledger/api included, must resolve to its built "default" export.
 */
function builtExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '--conditions' || a === '-C') && argv[i + 1] === 'source') i++;
    else if (a !== '--conditions=source' && a !== '-C=source') out.push(a);
  }
  return out;
}

/** Why a PLD figure did not come. */
export class PldUnavailable extends Error {
  override readonly name = 'PldUnavailable';
}

export class PldWorker {
  private readonly timeLimitMs: number;
  private readonly queue: Job[] = [];
  private worker: NodeWorker | null = null;
  private running: (Job & { timer: NodeJS.Timeout }) | null = null;
  private nextId = 0;

  constructor(opts: { timeLimitMs?: number } = {}) {
    this.timeLimitMs = opts.timeLimitMs ?? PLD_TIME_LIMIT_MS;
  }

  /**
   * Epsilon at `delta` of a ledger by the PLD accountant; rejects with PldUnavailable on timeout or worker fault,
   * and with AccountingError when the accountant refuses the ledger.
   * @example await new PldWorker().epsilon('add_or_remove_one', [step1000], 1e-5) // ~1.5154
   */
  epsilon = (relation: NeighboringRelation, ledger: readonly DpEvent[], delta: number): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      const id = this.nextId++;
      this.queue.push({
        id,
        msg: { id, relation, ledger, delta, interval: PLD_INTERVAL },
        deadline: Date.now() + this.timeLimitMs,
        resolve,
        reject,
      });
      this.pump();
    });

  /** Ends the worker; pending calls reject. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    for (const job of this.queue.splice(0)) job.reject(new PldUnavailable('the PLD worker was closed'));
    this.fail(new PldUnavailable('the PLD worker was closed'));
    await w?.terminate();
  }

  private spawn(): NodeWorker {
    const w = new NodeWorker(PLD_WORKER_SOURCE, {
      eval: true,
      execArgv: builtExecArgv(),
      workerData: { url: accountingModuleUrl() },
    });
    w.on('message', (m: { id: number; epsilon?: number; error?: string; code?: string }) => {
      const job = this.running;
      if (job === null || job.id !== m.id) return;
      clearTimeout(job.timer);
      this.running = null;
      if (m.error === undefined) job.resolve(m.epsilon!);
      else
        job.reject(
          m.code === 'unsupported_event' || m.code === 'invalid_event'
            ? new AccountingError(m.code, m.error)
            : new PldUnavailable(m.error),
        );
      this.pump();
    });
    w.on('error', (err) => this.crash(w, err));
    w.on('exit', () => this.crash(w, new PldUnavailable('the PLD worker exited')));
    // After the listeners: attaching a 'message' listener refs the worker again, which would keep a server alive.
    w.unref();
    return w;
  }

  private crash(w: NodeWorker, err: unknown): void {
    if (this.worker !== w) return;
    this.worker = null;
    this.fail(err);
    this.pump();
  }

  private fail(err: unknown): void {
    const job = this.running;
    if (job === null) return;
    clearTimeout(job.timer);
    this.running = null;
    job.reject(err);
  }

  private pump(): void {
    if (this.running !== null) return;
    let job: Job | undefined;
    while ((job = this.queue.shift()) !== undefined && Date.now() >= job.deadline)
      job.reject(new PldUnavailable('the PLD figure was not computed in time'));
    if (job === undefined) return;
    const worker = (this.worker ??= this.spawn());
    const timer = setTimeout(
      () => {
        // Out of time: the worker is mid-composition and cannot be interrupted, so it is ended.
        this.worker = null;
        void worker.terminate();
        this.fail(new PldUnavailable('the PLD figure was not computed in time'));
        this.pump();
      },
      Math.max(0, job.deadline - Date.now()),
    );
    timer.unref();
    this.running = { ...job, timer };
    worker.postMessage(job.msg);
  }
}
