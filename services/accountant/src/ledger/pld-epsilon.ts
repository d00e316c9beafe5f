/** PLD epsilon of a run-length merged ledger (Doroshenko et al. 2022, via @dpledger/accounting's PldAccountant). */
import { PldAccountant, type DpEvent, type NeighboringRelation } from '@dpledger/accounting';

/** Discretization of the PLD figures; the accountant is pessimistic, so the estimate never falls below the truth. */
export const PLD_INTERVAL = 1e-4;

/**
 * Composes the ledger entries with a fresh PLD accountant and returns epsilon at `delta`.
 * @example pldEpsilon('add_or_remove_one', [{ kind: 'gaussian', noise_multiplier: 1 }], 1e-5)
 */
export function pldEpsilon(relation: NeighboringRelation, ledger: readonly DpEvent[], delta: number): number {
  const acc = new PldAccountant({ neighboringRelation: relation, valueDiscretizationInterval: PLD_INTERVAL });
  for (const e of ledger) acc.compose(e);
  return acc.getEpsilon(delta);
}
