/** Structural checks of a decoded statement, by @dpledger/api's one predicate validator. */
import { statementProblem, type InTotoStatement } from '@dpledger/api';
import { AuditError } from './errors.js';

/**
 * Returns `value` typed as a privacy-report statement, or throws AuditError('bad_statement') naming the first
 * field that is missing or of the wrong type.
 * @example const statement = assertStatement(JSON.parse(payload.toString('utf8')))
 */
export function assertStatement(value: unknown): InTotoStatement {
  const problem = statementProblem(value);
  if (problem !== undefined) throw new AuditError('bad_statement', problem);
  return value as InTotoStatement;
}
