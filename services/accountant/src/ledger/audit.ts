/**
 * One-run audits (Steinke, Nasr, Jagielski 2023; Mahloujifar et al. 2024): the trainer submits each canary's score
 * and its secret inclusion bit before closing the run; the accountant derives the guess counts and the lower bound
 * itself, so the signed figure never rests on the trainer's arithmetic.
 */
import { auditFromScores } from '@dpledger/audit';
import type { components } from '@dpledger/api';
import { ServiceError } from '../errors.js';
import { openRun, type Caller, type EngineDeps } from './engine.js';

type S = components['schemas'];

/**
 * Computes and stores the audit of an open run (one per run; 409 `conflict` for a second).
 * @example await submitAudit(deps, caller, runId, { canary_kind: 'gradient', scores, included })
 */
export function submitAudit(
  deps: EngineDeps,
  caller: Caller,
  runId: string,
  body: S['AuditSubmit'],
): Promise<S['Audit']> {
  const { scores, included } = body;
  if (scores.length !== included.length) {
    throw new ServiceError('validation_failed', `${scores.length} scores but ${included.length} inclusion bits`, {
      pointer: '/included',
    });
  }
  const inScores = scores.filter((_, i) => included[i]);
  const outScores = scores.filter((_, i) => !included[i]);
  if (inScores.length === 0 || outScores.length === 0) {
    throw new ServiceError('validation_failed', 'an audit needs at least one included and one left-out canary', {
      pointer: '/included',
    });
  }
  return deps.store.write(
    async (tx) => {
      const { run, budget } = await openRun(tx, caller.tenant, runId);
      if (run.audit !== undefined) throw new ServiceError('conflict', `run ${runId} already has an audit`);
      const significance = body.significance ?? 0.05;
      const r = auditFromScores({
        inScores,
        outScores,
        significance,
        delta: budget.delta,
        method: body.method ?? 'steinke2023',
        selection: body.selection ?? 'bonferroni',
      });
      const audit: S['Audit'] = {
        method: r.method,
        canary_kind: body.canary_kind,
        selection: r.selection,
        canaries: r.canaries,
        k_plus: r.kPlus,
        k_minus: r.kMinus,
        guesses: r.guesses,
        correct: r.correct,
        significance,
        test_significance: r.testSignificance,
        hypotheses: r.hypotheses,
        delta: budget.delta,
        epsilon_lower: r.epsilonLower,
        confidence: 1 - significance,
      };
      const now = deps.now().toISOString();
      await tx.insertAuditInput({
        run_id: run.id,
        tenant: caller.tenant,
        scores: [...scores],
        included: [...included],
        created_at: now,
      });
      await tx.updateRun({ ...run, audit });
      return audit;
    },
    { tenant: caller.tenant },
  );
}
