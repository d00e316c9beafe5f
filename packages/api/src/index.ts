/**
 * @dpledger/api: the wire contract. Types generated from openapi.yaml (`npm run gen`; CI fails when stale) and the
 * one runtime validator of DpEvents. No dependencies: every other package builds on it.
 */
export type { components, paths, operations } from './generated/openapi.js';
export type * from './schemas.js';
export { dpEventProblem, isDpEvent, MAX_COUNT, MAX_DEPTH, MAX_PARAMETER, type DpEventProblem } from './dp-event-check.js';
