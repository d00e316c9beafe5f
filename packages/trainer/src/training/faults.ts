/**
 * Test-only fault switches: deliberately broken DP-SGD, so tests can show that the one-run audit catches a trainer
 * that does not do what it logs. Not exported from @dpledger/trainer; nothing in the package sets them.
 */
export const faults = {
  /** Multiplies the Gaussian noise's standard deviation (1 = correct). */
  noiseScale: 1,
  /** false = per-example gradients (and canaries) are not clipped. */
  clipping: true,
};

/** Restores the correct behaviour. */
export function resetFaults(): void {
  faults.noiseScale = 1;
  faults.clipping = true;
}
