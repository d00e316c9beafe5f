/** PLD accounting: pessimistic connect-the-dots privacy loss distributions with FFT composition. */
export { PldAccountant, type PldAccountantOptions } from './pld-accountant.js';
export type { PldCost, PldGroup } from './pld-cost.js';
