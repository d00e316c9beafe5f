/** The one neighbouring relation a trainer prices its steps under (docs/design.md "Neighbouring relation"). */
import type { NeighboringRelation, PrivacyAccountant } from '@dpledger/accounting';
import type { SamplerKind } from './batch-sampler.js';
import { fail } from './fail.js';
import type { RemoteAccountant } from './step-ledger.js';

/**
 * The relation of the ledger the steps enter: a custom accountant's own, a remote run's declared one, or the
 * option (default replace_one for shuffle, add_or_remove_one otherwise). Any two of these that disagree are refused.
 * @example runRelation({ sampler: 'shuffle' }, undefined, undefined) // 'replace_one'
 */
export function runRelation(
  o: { sampler?: SamplerKind; neighboringRelation?: NeighboringRelation },
  custom: PrivacyAccountant | undefined,
  remote: RemoteAccountant | undefined,
): NeighboringRelation {
  const declared: [string, unknown][] = [['neighboringRelation', o.neighboringRelation]];
  if (custom) declared.push(['the custom accountant', custom.neighboringRelation]);
  if (remote?.neighboringRelation !== undefined) declared.push(['the remote run', remote.neighboringRelation]);
  for (const [who, r] of declared.slice(1)) {
    if (r !== 'add_or_remove_one' && r !== 'replace_one') {
      const want = "neighboringRelation 'add_or_remove_one' or 'replace_one'";
      fail('invalid_argument', `${who} must expose ${want}, got ${String(r)}`);
    }
  }
  const given = declared.filter(([, r]) => r !== undefined);
  const first = given[0];
  for (const [who, r] of given) {
    if (r !== first![1]) {
      const clash = `${first![0]} is ${String(first![1])} but ${who} is ${String(r)}`;
      fail('invalid_argument', `${clash}: every step must be priced under the relation of the ledger it enters`);
    }
  }
  const agreed = first?.[1] as NeighboringRelation | undefined;
  return agreed ?? (o.sampler === 'shuffle' ? 'replace_one' : 'add_or_remove_one');
}
