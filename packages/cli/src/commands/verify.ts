/**
 * `dpledger verify <report.json> (--key <file.jwk> | --server <url>) [--events <file>] [--json]`: checks a
 * signed privacy report offline (or with keys fetched from `<url>/v1/keys`). Exit 0 when valid, 1 when not.
 */
import { readFile } from 'node:fs/promises';
import {
  AuditError,
  assertJwk,
  buildComplianceModel,
  epsilonCaveat,
  eventLogCommitment,
  verifyReport,
  type Check,
  type DsseEnvelope,
  type EventRecord,
  type Jwk,
  type VerifiedReport,
} from '@dpledger/audit';
import { parseFlags } from '../args.js';
import { CliError } from '../cli-error.js';

export const summary = "verify a signed privacy report (DSSE + Ed25519) against a JWK or a server's keys";

const HELP =
  'usage: dpledger verify <report.json> (--key <file.jwk> | --server <url>) ' +
  `[--events <file>] [--strict] [--json]

  --key <file>      a public JWK, a JWK set {"keys":[...]} or an array of JWKs
  --server <url>    fetch the keys from <url>/v1/keys
  --events <file>   the run's event records (array or {"events":[...]}): recompute the Merkle root
  --strict          also fail when a compliance check fails (sampler honesty, delta < 1/n, budget, ...)
  --json            print the result as JSON
exit status: 0 valid, 1 not valid (the reason is printed), 2 bad usage`;

/** Where output goes and how keys are fetched; tests pass their own. */
export interface VerifyIo {
  out: (text: string) => void;
  err: (text: string) => void;
  fetch: typeof fetch;
}

const defaultIo: VerifyIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  fetch: (...args) => fetch(...args),
};

/** A failure that makes the report not verified (exit 1), with a stable code. */
class Invalid extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Invalid(
      'unreadable',
      `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Invalid('bad_json', `${what} ${path} is not JSON`);
  }
}

function keysFrom(value: unknown, source: string): Jwk[] {
  const list = Array.isArray(value)
    ? value
    : value !== null && typeof value === 'object' && Array.isArray((value as { keys?: unknown }).keys)
      ? (value as { keys: unknown[] }).keys
      : [value];
  if (list.length === 0) throw new Invalid('bad_key', `${source} holds no keys`);
  return list.map((k) => assertJwk(k));
}

async function fetchKeys(server: string, io: VerifyIo): Promise<Jwk[]> {
  let url: URL;
  try {
    url = new URL(`${server.replace(/\/+$/, '')}/v1/keys`);
  } catch {
    throw new CliError(`--server must be a URL, got '${server}'`);
  }
  let res: Response;
  try {
    res = await io.fetch(url, { headers: { accept: 'application/json' } });
  } catch (err) {
    throw new Invalid('unreachable', `cannot fetch ${url.href}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!res.ok) throw new Invalid('unreachable', `${url.href} answered HTTP ${res.status}`);
  return keysFrom(await res.json().catch(() => null), url.href);
}

function recordsFrom(value: unknown, path: string): EventRecord[] {
  const records = (Array.isArray(value) ? value : (value as { events?: unknown } | null)?.events) as
    EventRecord[] | undefined;
  if (!Array.isArray(records)) throw new Invalid('bad_events', `${path} is not an array of event records`);
  return records;
}

function checkEvents(report: VerifiedReport, records: EventRecord[]): void {
  const ours = eventLogCommitment(records);
  const theirs = report.predicate.merkle_root;
  if (ours.root !== theirs.root || ours.tree_size !== theirs.tree_size) {
    throw new Invalid(
      'merkle_mismatch',
      `the event log's Merkle root ${ours.root} (${ours.tree_size} records) ` +
        `does not match the report's ${theirs.root} (${theirs.tree_size})`,
    );
  }
}

function summaryOf(r: VerifiedReport, eventsChecked: boolean, checks: Check[]) {
  const p = r.predicate;
  return {
    valid: true as const,
    checks,
    keyid: r.keyid,
    run: { id: p.run.id, name: p.run.name, closed_at: p.run.closed_at },
    epsilon: { rdp: p.epsilon.rdp.epsilon, rdp_order: p.epsilon.rdp.order, pld: p.epsilon.pld?.epsilon ?? null },
    noise_rng: p.noise_rng,
    epsilon_caveat: epsilonCaveat(p),
    delta: p.epsilon.delta,
    neighboring_relation: p.neighboring_relation,
    budget: {
      name: p.budget.name,
      epsilon: p.budget.epsilon,
      delta: p.budget.delta,
      remaining: p.budget_remaining.epsilon,
    },
    merkle_root: { ...p.merkle_root, recomputed: eventsChecked },
    subjects: r.statement.subject.map((s) => ({ name: s.name, sha256: s.digest.sha256 })),
  };
}

function text(s: ReturnType<typeof summaryOf>): string {
  const note = s.epsilon_caveat === null ? '' : ` (${s.epsilon_caveat})`; // on every epsilon of a seeded run
  const pld = s.epsilon.pld === null ? 'not computed' : `${s.epsilon.pld}${note}`;
  return [
    `VALID: signature verified with key ${s.keyid}`,
    `run        ${s.run.name} (${s.run.id}), closed ${s.run.closed_at}`,
    `guarantee  epsilon ${s.epsilon.rdp}${note} at delta ${s.delta} (RDP, order ${s.epsilon.rdp_order}); ` +
      `PLD epsilon ${pld}; ${s.neighboring_relation}`,
    `budget     ${s.budget.name}: limit (${s.budget.epsilon}, ${s.budget.delta}), ` +
      `remaining epsilon ${s.budget.remaining}`,
    `event log  ${s.merkle_root.tree_size} records, Merkle root ${s.merkle_root.root}` +
      (s.merkle_root.recomputed ? ' (recomputed from the event log: match)' : ''),
    ...s.subjects.map((sub) => `subject    ${sub.name} sha256:${sub.sha256}`),
    `checks     ${s.checks.filter((c) => c.status === 'pass').length} of ${s.checks.length} pass`,
    ...s.checks
      .filter((c) => c.status === 'fail' || c.status === 'warn')
      .map((c) => `  ${c.status.toUpperCase()} ${c.name}: ${c.detail}`),
    '',
  ].join('\n');
}

/**
 * Runs the command; returns the exit code.
 * @example await run(['report.json', '--key', 'key.jwk']) // 0 when the report verifies
 */
export async function run(argv: string[], io: VerifyIo = defaultIo): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      key: { type: 'string' },
      server: { type: 'string' },
      events: { type: 'string' },
      strict: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    true,
  );
  if (values.help) {
    io.out(`${HELP}\n`);
    return 0;
  }
  const [reportPath, ...extra] = positionals;
  if (reportPath === undefined || extra.length > 0)
    throw new CliError('expected exactly one report file (dpledger verify --help)');
  const key = values.key as string | undefined;
  const server = values.server as string | undefined;
  if ((key === undefined) === (server === undefined))
    throw new CliError('give exactly one of --key <file.jwk> or --server <url>');
  const json = values.json === true;
  try {
    const keys = key !== undefined ? keysFrom(await readJson(key, 'key file'), key) : await fetchKeys(server!, io);
    const envelope = await readJson(reportPath, 'report');
    const report = verifyReport(envelope, keys);
    const eventsPath = values.events as string | undefined;
    const records =
      eventsPath === undefined ? undefined : recordsFrom(await readJson(eventsPath, 'event log'), eventsPath);
    if (records !== undefined) checkEvents(report, records);
    const { checks } = buildComplianceModel({
      envelope: envelope as DsseEnvelope,
      keys,
      ...(records === undefined ? {} : { events: records }),
    });
    const result = summaryOf(report, records !== undefined, checks);
    const failed = checks.filter((c) => c.status === 'fail').map((c) => c.name);
    if (values.strict === true && failed.length > 0) {
      const reason = `compliance checks failed: ${failed.join('; ')}`;
      io.out(
        json ? `${JSON.stringify({ ...result, valid: false, code: 'check_failed', reason }, null, 2)}\n` : text(result),
      );
      if (!json) io.err(`NOT VALID (check_failed): ${reason}\n`);
      return 1;
    }
    io.out(json ? `${JSON.stringify(result, null, 2)}\n` : text(result));
    return 0;
  } catch (err) {
    if (!(err instanceof Invalid || err instanceof AuditError)) throw err;
    if (json) io.out(`${JSON.stringify({ valid: false, code: err.code, reason: err.message }, null, 2)}\n`);
    else io.err(`NOT VALID (${err.code}): ${err.message}\n`);
    return 1;
  }
}
