/**
 * The one structural validator of a decoded privacy-report statement, so renderers and the CLI can rely on the
 * predicate's fields. The enums of its wire parts (Sampler, Audit, NeighboringRelation, AccountantKind) are
 * openapi.yaml's: statement-check.test.ts walks the spec and probes each of them. It reports a problem instead of
 * throwing (@dpledger/audit's assertStatement raises AuditError('bad_statement') from it).
 */
import { dpEventProblem, MAX_COUNT } from './dp-event-check.js';
import { IN_TOTO_STATEMENT_TYPE, PRIVACY_REPORT_PREDICATE_TYPE } from './statement.js';

type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const int: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
// A record count (openapi.yaml Sampler: integer, minimum 1, maximum 1e12).
const size: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_COUNT;
const hex64: Check = (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const oneOf =
  (...xs: unknown[]): Check =>
  (v) =>
    xs.includes(v);
const obj: Check = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// Required leaf fields of the predicate by JSON pointer; the optional ones (run.metadata, epsilon.pld) are checked
// below.
const REQUIRED: [string, Check][] = [
  ['run/id', str],
  ['run/name', str],
  ['run/created_at', str],
  ['run/closed_at', str],
  ['budget/id', str],
  ['budget/name', str],
  ['budget/epsilon', num],
  ['budget/delta', num],
  ['budget/accountant', oneOf('rdp', 'pld')],
  ['neighboring_relation', oneOf('add_or_remove_one', 'replace_one')],
  ['sampler/kind', oneOf('poisson', 'shuffle', 'sampled_without_replacement', 'fixed')],
  ['sampler/dataset_size', size],
  ['sampler/expected_batch_size', size],
  ['noise_rng', oneOf('secure', 'seeded', 'unknown')],
  ['ledger', obj],
  ['ledger/kind', str],
  ['event_count', int],
  ['merkle_root/alg', oneOf('sha256')],
  ['merkle_root/root', hex64],
  ['merkle_root/tree_size', int],
  ['epsilon/delta', num],
  ['epsilon/rdp/epsilon', num],
  ['epsilon/rdp/order', num],
  ['budget_remaining/epsilon', num],
  ['issued_at', str],
  ['service/name', str],
  ['service/version', str],
];

// The fields of the predicate's `audit` section (openapi.yaml `Audit`, all required).
const AUDIT: [string, Check][] = [
  ['method', oneOf('steinke2023', 'mahloujifar2024')],
  ['canary_kind', oneOf('gradient', 'input')],
  ['selection', oneOf('bonferroni', 'split')],
  ['canaries', int],
  ['k_plus', int],
  ['k_minus', int],
  ['guesses', int],
  ['correct', int],
  ['hypotheses', int],
  ['significance', num],
  ['test_significance', num],
  ['delta', num],
  ['epsilon_lower', num],
  ['confidence', num],
];

function at(root: unknown, pointer: string): unknown {
  return pointer.split('/').reduce<unknown>((v, k) => (obj(v) ? (v as Record<string, unknown>)[k] : undefined), root);
}

/**
 * The first reason `value` is not a privacy-report statement (a field missing or of the wrong type, named by its
 * path), or undefined when it is one.
 * @example statementProblem(JSON.parse(payload.toString('utf8'))) // undefined for a statement the service signed
 */
export function statementProblem(value: unknown): string | undefined {
  if (!obj(value)) return 'the statement is not a JSON object';
  const s = value as Record<string, unknown>;
  if (s['_type'] !== IN_TOTO_STATEMENT_TYPE) return `_type must be ${IN_TOTO_STATEMENT_TYPE}`;
  const type = PRIVACY_REPORT_PREDICATE_TYPE;
  if (s['predicateType'] !== type) return `predicateType must be ${type}`;
  const subject = s['subject'];
  if (!Array.isArray(subject) || subject.length === 0) return 'subject must be a non-empty array';
  const bad = subject.findIndex((sub) => !str(at(sub, 'name')) || !hex64(at(sub, 'digest/sha256')));
  if (bad >= 0) return `subject[${bad}] needs a name and a hex sha256 digest`;
  const predicate = s['predicate'];
  if (!obj(predicate)) return 'predicate must be an object';
  for (const [pointer, check] of REQUIRED) {
    if (!check(at(predicate, pointer))) return `predicate/${pointer} is missing or malformed`;
  }
  const pld = at(predicate, 'epsilon/pld');
  if (pld !== null && !(num(at(pld, 'epsilon')) && num(at(pld, 'value_discretization_interval')))) {
    return 'predicate/epsilon/pld must be null or {epsilon, value_discretization_interval}';
  }
  const ledger = dpEventProblem(at(predicate, 'ledger'));
  if (ledger !== undefined) return `predicate/ledger is not a DpEvent: ${ledger.message}`;
  const audit = at(predicate, 'audit');
  if (audit !== undefined) {
    if (!obj(audit)) return 'predicate/audit must be an object';
    for (const [k, check] of AUDIT) if (!check(at(audit, k))) return `predicate/audit/${k} is missing or malformed`;
  }
  const allow = at(predicate, 'allow_large_delta');
  if (allow !== undefined && allow !== true) return 'predicate/allow_large_delta must be true when present';
  const metadata = at(predicate, 'run/metadata');
  if (metadata !== undefined && !obj(metadata)) return 'predicate/run/metadata must be an object';
  return undefined;
}
