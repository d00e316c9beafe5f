/** PLD epsilon of a run-length merged ledger (Doroshenko et al. 2022, via @dpledger/accounting's PldAccountant). */
import * as accounting from '@dpledger/accounting';
import type { DpEvent, NeighboringRelation } from '@dpledger/accounting';

/** Discretization of the PLD budget check; pessimistic, so the estimate never falls below the truth. */
export const PLD_INTERVAL = 1e-4;

interface PldLike {
  compose(e: DpEvent, count?: number): unknown;
  getEpsilon(delta: number): number;
}
type PldCtor = new (o: { neighboringRelation: NeighboringRelation; valueDiscretizationInterval: number }) => PldLike;

/**
 * Composes the ledger entries with a fresh PLD accountant and returns epsilon at `delta`.
 * @example pldEpsilon('add_or_remove_one', [{ kind: 'gaussian', noise_multiplier: 1 }], 1e-5)
 */
export function pldEpsilon(relation: NeighboringRelation, ledger: readonly DpEvent[], delta: number): number {
  const Pld = (accounting as unknown as { PldAccountant?: PldCtor }).PldAccountant;
  if (Pld === undefined) throw new accounting.AccountingError('unsupported_event', 'the PLD accountant is not available in this build');
  const acc = new Pld({ neighboringRelation: relation, valueDiscretizationInterval: PLD_INTERVAL });
  for (const e of ledger) acc.compose(e);
  return acc.getEpsilon(delta);
}
