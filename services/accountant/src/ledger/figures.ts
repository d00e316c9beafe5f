/**
 * The epsilon figures of a budget state, each with the accountant that gave it. Both RDP (Mironov 2017) and PLD
 * (Doroshenko et al. 2022) give valid upper bounds, so any of them may be shown; these rules keep the answers
 * consistent: PLD is consulted only for a `pld` budget that RDP alone would refuse, the smaller bound wins and
 * is named, `epsilon_spent` never goes below what an earlier answer showed (the stored figure is a high-water
 * mark), and `epsilon_reserved` is never below `epsilon_spent`.
 */
import type { DpEvent, NeighboringRelation } from '@dpledger/accounting';
import type { BudgetRow } from '../store/store.js';
import type { RdpMeter } from './rdp-meter.js';

/** What figures() reads of meters.ts's Meters (declared here so the two modules do not import each other). */
export interface FigureMeters {
  rdp(relation: NeighboringRelation): Pick<RdpMeter, 'epsilon'>;
  pldEpsilon(relation: NeighboringRelation, ledger: readonly DpEvent[], delta: number): number;
}

/** A proposed budget state: committed events and what open reservations still hold. */
export interface Proposal {
  committedRdp: readonly number[];
  heldRdp: readonly number[];
  committedLedger: readonly DpEvent[];
  /** Open reservations as events, for the PLD check. */
  heldEvents: readonly DpEvent[];
}

type AccountantKind = BudgetRow['accountant'];

/** Budget figures and the accountant of each (the stored columns of a budget). */
export interface Figures {
  epsilon_spent: number;
  epsilon_reserved: number;
  spent_accountant: AccountantKind;
  reserved_accountant: AccountantKind;
}

interface Figure {
  eps: number;
  by: AccountantKind;
}

/**
 * The figures of a proposal, and whether its reserved figure fits the budget (no refusal here; see `assess`).
 * @example figures(meters, budget, { committedRdp, heldRdp, committedLedger, heldEvents }).fits
 */
export function figures(
  meters: FigureMeters,
  budget: BudgetRow,
  p: Proposal,
  pldOf?: (ledger: readonly DpEvent[]) => number,
): Figures & { fits: boolean } {
  const pld =
    pldOf ?? ((ledger: readonly DpEvent[]) => meters.pldEpsilon(budget.neighboring_relation, ledger, budget.delta));
  const meter = meters.rdp(budget.neighboring_relation);
  const total = p.committedRdp.map((v, i) => v + p.heldRdp[i]!);
  let reserved: Figure = { eps: meter.epsilon(total, budget.delta).epsilon, by: 'rdp' };
  let spent: Figure = { eps: meter.epsilon(p.committedRdp, budget.delta).epsilon, by: 'rdp' };
  if (reserved.eps > budget.epsilon && budget.accountant === 'pld') {
    const pldReserved = pld([...p.committedLedger, ...p.heldEvents]);
    const pldSpent = pld(p.committedLedger);
    if (pldReserved < reserved.eps) reserved = { eps: pldReserved, by: 'pld' };
    if (pldSpent < spent.eps) spent = { eps: pldSpent, by: 'pld' };
  }
  // A bound on committed plus held events bounds the committed ones alone.
  if (spent.eps > reserved.eps) spent = reserved;
  const fits = reserved.eps <= budget.epsilon;
  const shown = budget.epsilon_spent;
  if (shown > spent.eps) spent = { eps: shown, by: budget.spent_accountant ?? 'rdp' };
  if (spent.eps > reserved.eps) reserved = spent;
  return {
    epsilon_spent: spent.eps,
    epsilon_reserved: reserved.eps,
    spent_accountant: spent.by,
    reserved_accountant: reserved.by,
    fits,
  };
}
