// Audit benchmarks: each figure is a ratio against a baseline measured in the same run on the same data,
// so the numbers compare across machines. Run with `npm run bench -w @dpledger/audit` (builds first).
import { createHash, createPublicKey, sign, verify } from 'node:crypto';
import {
  buildStatement,
  canonicalJson,
  eventLogCommitment,
  eventRecordLeaf,
  generateSigningKey,
  merkleRoot,
  pae,
  renderReportHtml,
  signReport,
  verifyReport,
} from '../dist/index.js';

function time(fn, minMs = 300) {
  fn(); // warm up
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    fn();
    runs += 1;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return elapsed / runs;
}

const step = {
  kind: 'poisson_sampled',
  sampling_probability: 0.01,
  event: { kind: 'gaussian', noise_multiplier: 1.1 },
};
const records = Array.from({ length: 20_000 }, (_, i) => ({
  sequence: i + 1,
  run_id: 'run_bench',
  event: step,
  recorded_at: new Date(1_800_000_000_000 + i * 1000).toISOString(),
}));
const leaves = records.map(eventRecordLeaf);
const rows = [];
const report = (name, ms, baseName, baseMs) => rows.push({ name, ms, baseName, baseMs, ratio: ms / baseMs });

// 1. Merkle root vs hashing every leaf once (a tree costs about 2n hashes, so ~2x is ideal).
report(
  'merkleRoot, 20k leaves',
  time(() => merkleRoot(leaves)),
  'SHA-256 of each leaf',
  time(() => leaves.forEach((l) => createHash('sha256').update(l).digest())),
);
// 2. RFC 8785 canonical JSON vs JSON.stringify of the same records.
report(
  'canonicalJson, 20k records',
  time(() => records.forEach((r) => canonicalJson(r))),
  'JSON.stringify',
  time(() => records.forEach((r) => JSON.stringify(r))),
);
// 3. Event-log commitment (canonicalize + tree) vs JSON.stringify + one hash per record.
report(
  'eventLogCommitment, 20k records',
  time(() => eventLogCommitment(records)),
  'stringify + SHA-256 each',
  time(() => records.forEach((r) => createHash('sha256').update(JSON.stringify(r)).digest())),
);

// 4. Report signing and verification vs raw Ed25519 over the same PAE bytes.
const key = generateSigningKey();
const predicate = {
  run: {
    id: 'run_bench',
    name: 'bench',
    created_at: '2027-01-15T08:00:00.000Z',
    closed_at: '2027-01-15T09:00:00.000Z',
    metadata: { lr: 0.1 },
  },
  budget: { id: 'bud', name: 'bench', epsilon: 8, delta: 1e-5, accountant: 'rdp' },
  neighboring_relation: 'add_or_remove_one',
  sampler: { kind: 'poisson', dataset_size: 60000, expected_batch_size: 600 },
  noise_rng: 'secure',
  ledger: { kind: 'composed', events: [{ kind: 'self_composed', count: records.length, event: step }] },
  event_count: records.length,
  merkle_root: eventLogCommitment(records),
  epsilon: { delta: 1e-5, rdp: { epsilon: 4.1, order: 6 }, pld: null },
  budget_remaining: { epsilon: 3.9 },
  issued_at: '2027-01-15T09:00:01.000Z',
  service: { name: 'dpledger-accountant', version: '0.1.0' },
};
const statement = buildStatement({
  model_digest: { sha256: 'a'.repeat(64) },
  dataset_digest: { sha256: 'b'.repeat(64) },
  predicate,
});
const envelope = signReport(statement, key);
const bytes = pae(envelope.payloadType, Buffer.from(envelope.payload, 'base64'));
const sig = sign(null, bytes, key.privateKey);
const publicKey = createPublicKey(key.privateKey);
report(
  'signReport',
  time(() => signReport(statement, key)),
  'raw Ed25519 sign of the PAE',
  time(() => sign(null, bytes, key.privateKey)),
);
report(
  'verifyReport',
  time(() => verifyReport(envelope, [key.publicJwk])),
  'raw Ed25519 verify of the PAE',
  time(() => verify(null, bytes, publicKey, sig)),
);
// 5. The compliance page (verification, checks, 50-point RDP curve over 20k records) vs recomputing the Merkle root
//    alone.
report(
  'renderReportHtml with 20k records',
  time(() => renderReportHtml({ envelope, keys: [key.publicJwk], events: records }), 1000),
  'eventLogCommitment',
  time(() => eventLogCommitment(records)),
);

console.log('@dpledger/audit benchmark (ratio = time / baseline time, same run, same data)');
for (const r of rows)
  console.log(
    `${r.name.padEnd(36)} ${r.ms.toFixed(3).padStart(9)} ms   ` +
      `vs ${r.baseName.padEnd(30)} ${r.baseMs.toFixed(3).padStart(9)} ms   ratio ${r.ratio.toFixed(2)}`,
  );
