/**
 * Named aliases of the openapi.yaml schemas that several packages use, so no package writes a wire type by hand.
 * Wire names stay snake_case exactly as the spec writes them.
 */
import type { components } from './generated/openapi.js';

type S = components['schemas'];
/** Any schema of openapi.yaml by name, e.g. `Schema<'Budget'>`. */
export type Schema<Name extends keyof S> = S[Name];

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
export type AccountantKind = S['AccountantKind'];
export type EventRecord = S['EventRecord'];
export type Sampler = S['Sampler'];
/** How a run's batches were drawn (openapi.yaml `Sampler.kind`). */
export type SamplerKind = Sampler['kind'];
export type Audit = S['Audit'];
/** DSSE v1 envelope (secure-systems-lab/dsse envelope.md); payload and sig are base64. */
export type DsseEnvelope = S['DsseEnvelope'];
export type DsseSignature = S['DsseSignature'];
/** A public Ed25519 verification key as served by `GET /v1/keys` (RFC 8037 section 2 OKP JWK). */
export type Jwk = S['Jwk'];
