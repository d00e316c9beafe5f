/** Structural checks of a decoded statement, so renderers and the CLI can rely on the predicate's fields. */
import { AccountingError, assertDpEvent, type DpEvent } from '@dpledger/accounting';
import { AuditError } from './errors.js';
import { IN_TOTO_STATEMENT_TYPE, PRIVACY_REPORT_PREDICATE_TYPE, type InTotoStatement } from './statement.js';

type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const int: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const hex64: Check = (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const oneOf = (...xs: unknown[]): Check => (v) => xs.includes(v);
const obj: Check = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// Required leaf fields of the predicate by JSON pointer; the optional ones (run.metadata, epsilon.pld) are checked below.
const REQUIRED: [string, Check][] = [
  ['run/id', str], ['run/name', str], ['run/created_at', str], ['run/closed_at', str],
  ['budget/id', str], ['budget/name', str], ['budget/epsilon', num], ['budget/delta', num], ['budget/accountant', oneOf('rdp', 'pld')],
  ['neighboring_relation', oneOf('add_or_remove_one', 'replace_one')],
  ['sampler/kind', oneOf('poisson', 'shuffle', 'sampled_without_replacement', 'fixed')],
  ['sampler/dataset_size', int], ['sampler/expected_batch_size', int],
  ['noise_rng', oneOf('secure', 'seeded', 'unknown')],
  ['ledger', obj], ['ledger/kind', str], ['event_count', int],
  ['merkle_root/alg', oneOf('sha256')], ['merkle_root/root', hex64], ['merkle_root/tree_size', int],
  ['epsilon/delta', num], ['epsilon/rdp/epsilon', num], ['epsilon/rdp/order', num],
  ['budget_remaining/epsilon', num], ['issued_at', str], ['service/name', str], ['service/version', str],
];

function at(root: unknown, pointer: string): unknown {
  return pointer.split('/').reduce<unknown>((v, k) => (obj(v) ? (v as Record<string, unknown>)[k] : undefined), root);
}

/**
 * Returns `value` typed as a privacy-report statement, or throws AuditError('bad_statement') naming the first
 * field that is missing or of the wrong type.
 * @example const statement = assertStatement(JSON.parse(payload.toString('utf8')))
 */
export function assertStatement(value: unknown): InTotoStatement {
  const fail = (what: string): never => {
    throw new AuditError('bad_statement', what);
  };
  if (!obj(value)) fail('the statement is not a JSON object');
  const s = value as Record<string, unknown>;
  if (s._type !== IN_TOTO_STATEMENT_TYPE) fail(`_type must be ${IN_TOTO_STATEMENT_TYPE}`);
  if (s.predicateType !== PRIVACY_REPORT_PREDICATE_TYPE) fail(`predicateType must be ${PRIVACY_REPORT_PREDICATE_TYPE}`);
  if (!Array.isArray(s.subject) || s.subject.length === 0) fail('subject must be a non-empty array');
  (s.subject as unknown[]).forEach((sub, i) => {
    if (!str(at(sub, 'name')) || !hex64(at(sub, 'digest/sha256'))) fail(`subject[${i}] needs a name and a hex sha256 digest`);
  });
  if (!obj(s.predicate)) fail('predicate must be an object');
  for (const [pointer, check] of REQUIRED) if (!check(at(s.predicate, pointer))) fail(`predicate/${pointer} is missing or malformed`);
  const pld = at(s.predicate, 'epsilon/pld');
  if (pld !== null && !(num(at(pld, 'epsilon')) && num(at(pld, 'value_discretization_interval')))) fail('predicate/epsilon/pld must be null or {epsilon, value_discretization_interval}');
  try {
    assertDpEvent(at(s.predicate, 'ledger') as DpEvent);
  } catch (err) {
    if (!(err instanceof AccountingError)) throw err;
    fail(`predicate/ledger is not a DpEvent: ${err.message}`);
  }
  const audit = at(s.predicate, 'audit');
  if (audit !== undefined) {
    const fields: [string, Check][] = [
      ['method', oneOf('steinke2023', 'mahloujifar2024')], ['canary_kind', oneOf('gradient', 'input')], ['selection', oneOf('bonferroni', 'split')],
      ['canaries', int], ['k_plus', int], ['k_minus', int], ['guesses', int], ['correct', int], ['hypotheses', int],
      ['significance', num], ['test_significance', num], ['delta', num], ['epsilon_lower', num], ['confidence', num],
    ];
    if (!obj(audit)) fail('predicate/audit must be an object');
    for (const [k, check] of fields) if (!check(at(audit, k))) fail(`predicate/audit/${k} is missing or malformed`);
  }
  const allow = at(s.predicate, 'allow_large_delta');
  if (allow !== undefined && allow !== true) fail('predicate/allow_large_delta must be true when present');
  const metadata = at(s.predicate, 'run/metadata');
  if (metadata !== undefined && !obj(metadata)) fail('predicate/run/metadata must be an object');
  return value as unknown as InTotoStatement;
}
