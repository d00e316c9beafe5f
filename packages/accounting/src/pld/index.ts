/** PLD accounting: pessimistic connect-the-dots privacy loss distributions with FFT composition. */
export { PldAccountant, type PldAccountantOptions, type PldCost } from './pld-accountant.js';
