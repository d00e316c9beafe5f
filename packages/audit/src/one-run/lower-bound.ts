/**
 * The empirical epsilon lower bound of a one-run audit from its counts (Steinke et al. 2023; Mahloujifar et al. 2024).
 */
import { AuditError } from '../errors.js';
import { fdpRejects } from './fdp.js';
import { largestRejected } from './root.js';
import { steinkePValue } from './steinke.js';

/** Which analysis turns guess counts into a bound. */
export type OneRunMethod = 'steinke2023' | 'mahloujifar2024';

export interface OneRunCounts {
  /** m: canaries, each included independently with probability 1/2. */
  canaries: number;
  /** r = k+ + k-: guesses made (the rest abstain). */
  guesses: number;
  /** Right guesses among them. */
  correct: number;
  /** Probability that a correct implementation gets a bound above its true epsilon (e.g. 0.05). */
  significance: number;
  /** The delta of the (eps, delta) claim being tested. */
  delta: number;
  method: OneRunMethod;
}

function checkCounts(c: OneRunCounts): void {
  const int = (v: number) => Number.isSafeInteger(v) && v >= 0;
  if (!int(c.canaries) || !int(c.guesses) || !int(c.correct) || c.canaries < 1)
    throw new AuditError('bad_audit', 'canaries, guesses and correct must be integers >= 0 (canaries >= 1)');
  if (c.correct > c.guesses || c.guesses > c.canaries)
    throw new AuditError('bad_audit', 'need correct <= guesses <= canaries');
  if (!(c.significance > 0 && c.significance < 1)) throw new AuditError('bad_audit', 'significance must be in (0, 1)');
  if (!(c.delta >= 0 && c.delta < 1)) throw new AuditError('bad_audit', 'delta must be in [0, 1)');
  if (c.method !== 'steinke2023' && c.method !== 'mahloujifar2024')
    throw new AuditError('bad_audit', `unknown method ${String(c.method)}`);
  if (c.method === 'mahloujifar2024' && c.delta === 0)
    throw new AuditError('bad_audit', 'mahloujifar2024 needs delta > 0');
}

/**
 * The largest epsilon whose (epsilon, delta)-DP claim the observed guesses reject at `significance` (0 when no
 * claim is rejected). A correct DP implementation gets a value <= its true epsilon with probability >= 1 -
 * significance.
 * @example
 * const counts = { canaries: 1000, guesses: 100, correct: 95 };
 * oneRunEpsilonLowerBound({ ...counts, significance: 0.05, delta: 1e-5, method: 'steinke2023' }) // ~1.9
 */
export function oneRunEpsilonLowerBound(c: OneRunCounts): number {
  checkCounts(c);
  if (c.guesses === 0) return 0;
  // cheap first look at delta = 0: a claim not rejected without the delta term is not rejected with it
  if (c.method === 'steinke2023' && steinkePValue({ ...c, eps: 0, delta: 0 }) > c.significance) return 0;
  return largestRejected((eps) => rejectsClaim(c, eps));
}

/**
 * True when the counts reject "(eps, delta)-DP" at the significance (the test behind the bound; monotone in eps).
 * @example
 * const counts = { canaries: 1000, guesses: 100, correct: 95 };
 * rejectsClaim({ ...counts, significance: 0.05, delta: 1e-5, method: 'steinke2023' }, 1) // true
 */
export function rejectsClaim(c: OneRunCounts, eps: number): boolean {
  const { canaries, guesses, correct, significance, delta } = c;
  if (guesses === 0) return false;
  if (c.method === 'steinke2023') return steinkePValue({ canaries, guesses, correct, eps, delta }) <= significance;
  return fdpRejects({ canaries, guesses, correct, eps, delta, significance });
}
