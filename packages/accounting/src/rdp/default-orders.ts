/**
 * dp_accounting's default RDP orders (rdp_privacy_accountant.py DEFAULT_RDP_ORDERS): 1.1..10.9 by 0.1, 11..63, 128,
 * 256, 512, 1024.
 */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => Math.round((1.1 + i / 10) * 10) / 10),
  ...Array.from({ length: 53 }, (_, i) => 11 + i),
  128,
  256,
  512,
  1024,
]);
