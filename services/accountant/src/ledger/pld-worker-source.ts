/**
 * The body of the PLD worker, as plain JavaScript run by `new Worker(code, { eval: true })`, so the same worker runs
 * from dist/ under Node and from src/ under vitest (a worker cannot load a .ts file). It imports
 * @dpledger/accounting's built module (its file URL is `workerData.url`) and answers each message
 * { id, relation, ledger, delta, interval } with { id, epsilon } or { id, error, code }. It runs at a lower CPU
 * priority than the request path.
 */
export const PLD_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
// PLD is background work: a lower CPU priority (nice 10; on Linux per thread, so this thread only) keeps the
// request path (the main thread) first in line for the CPU. Where it is not allowed, the default stays.
try { require('node:os').setPriority(10); } catch {}
const accounting = import(workerData.url);
parentPort.on('message', async (m) => {
  try {
    const { PldAccountant } = await accounting;
    const acc = new PldAccountant({ neighboringRelation: m.relation, valueDiscretizationInterval: m.interval });
    for (const e of m.ledger) acc.compose(e);
    parentPort.postMessage({ id: m.id, epsilon: acc.getEpsilon(m.delta) });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String((err && err.message) || err), code: err && err.code });
  }
});
`;
