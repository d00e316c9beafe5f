/** @dpledger/accounting: DpEvent algebra, RDP and PLD accountants, noise calibration. Pure TypeScript, no I/O. */
export type * from './dp-event.js';
export { AccountingError, type AccountingErrorCode } from './errors.js';
export { assertDpEvent, assertCount } from './validate.js';
export { Ledger, eventsEqual, stableKey, unwrapCount, withCount, type EventRun } from './ledger.js';
export { declaredRelation, assertRelation } from './relation.js';
export { BaseAccountant, unsupported, type PrivacyAccountant, type LeafEvent } from './accountant.js';
export * from './rdp/index.js';
export * from './calibration/index.js';
export * from './pld/index.js';
export { normCdf, normLogCdf, normPpf, normPpfLog } from './pld/normal.js';
export { formatEpsilon, type EpsilonFormat } from './release/format-epsilon.js';
export { deltaTooLarge } from './release/delta-check.js';
export { tightestEpsilon, type EpsilonBounds, type TightestEpsilon } from './tightest-epsilon.js';
