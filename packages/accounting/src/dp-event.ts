/**
 * DpEvent: the unit of the ledger. The types are generated from openapi.yaml (one source of truth);
 * kinds and field names follow google/differential-privacy dp_accounting/dp_event.py.
 */
import type { components } from './generated/openapi.js';

type S = components['schemas'];
export type DpEvent = S['DpEvent'];
export type NoOpDpEvent = S['NoOpDpEvent'];
export type NonPrivateDpEvent = S['NonPrivateDpEvent'];
export type UnsupportedDpEvent = S['UnsupportedDpEvent'];
export type GaussianDpEvent = S['GaussianDpEvent'];
export type LaplaceDpEvent = S['LaplaceDpEvent'];
export type EpsilonDeltaDpEvent = S['EpsilonDeltaDpEvent'];
export type ZCDpEvent = S['ZCDpEvent'];
export type PoissonSampledDpEvent = S['PoissonSampledDpEvent'];
export type SampledWithoutReplacementDpEvent = S['SampledWithoutReplacementDpEvent'];
export type SelfComposedDpEvent = S['SelfComposedDpEvent'];
export type ComposedDpEvent = S['ComposedDpEvent'];
export type DpEventKind = DpEvent['kind'];
export type NeighboringRelation = S['NeighboringRelation'];
