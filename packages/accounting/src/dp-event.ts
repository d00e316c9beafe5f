/**
 * DpEvent: the unit of the ledger, and this library's design document for it, as dp_event.py is dp_accounting's
 * (google/differential-privacy python/dp_accounting/dp_event.py: same kinds, same field names). The shapes are the
 * wire's, generated from openapi.yaml into @dpledger/api, so trainer, client, service and accountants cannot drift;
 * this file says what each kind means to an accountant. Evolution rules (docs/design.md "DpEvent"): never remove a kind
 * or a field,
 * new fields optional, never change a kind's meaning.
 */
import type * as Api from '@dpledger/api';

/** Any event: a mechanism, a sampling of one, or a composition of events. */
export type DpEvent = Api.DpEvent;
/** Releases nothing; costs nothing (dp_event.py NoOpDpEvent). */
export type NoOpDpEvent = Api.NoOpDpEvent;
/** Releases data with no privacy guarantee: epsilon is infinite (dp_event.py NonPrivateDpEvent). */
export type NonPrivateDpEvent = Api.NonPrivateDpEvent;
/** A mechanism no accountant can analyse; composing it is refused (dp_event.py UnsupportedDpEvent). */
export type UnsupportedDpEvent = Api.UnsupportedDpEvent;
/** Gaussian mechanism of sensitivity 1 with noise standard deviation `noise_multiplier` (Dwork, Roth 2014 A.1). */
export type GaussianDpEvent = Api.GaussianDpEvent;
/** Laplace mechanism of sensitivity 1 with scale `noise_multiplier` (Dwork, Roth 2014 Def. 3.3). */
export type LaplaceDpEvent = Api.LaplaceDpEvent;
/** A mechanism known only to be (epsilon, delta)-DP (dp_event.py EpsilonDeltaDpEvent). */
export type EpsilonDeltaDpEvent = Api.EpsilonDeltaDpEvent;
/** A (xi, rho)-zCDP mechanism (Bun, Steinke 2016 Def. 1.1). */
export type ZCDpEvent = Api.ZCDpEvent;
/** `event` run on a Poisson sample: each record joins independently with `sampling_probability` (MTZ 2019). */
export type PoissonSampledDpEvent = Api.PoissonSampledDpEvent;
/** `event` run on `sample_size` records drawn without replacement (Wang, Balle, Kasiviswanathan 2019). */
export type SampledWithoutReplacementDpEvent = Api.SampledWithoutReplacementDpEvent;
/** `event` run `count` times in sequence; repetition is resolved in one place (accountant.ts). */
export type SelfComposedDpEvent = Api.SelfComposedDpEvent;
/** `events` run in sequence (sequential composition, Dwork, Roth 2014 Thm. 3.16). */
export type ComposedDpEvent = Api.ComposedDpEvent;
export type DpEventKind = Api.DpEventKind;
/** add_or_remove_one (unbounded DP) or replace_one (bounded DP); fixed when an accountant is made. */
export type NeighboringRelation = Api.NeighboringRelation;
