/**
 * The one check of delta against the dataset size, shared by the trainer, `dpledger train` and the service.
 * With delta >= 1/n a mechanism that publishes each record in the clear with probability delta is
 * (0, delta)-DP, so such a delta protects nobody (Dwork & Roth 2014, "The Algorithmic Foundations of
 * Differential Privacy", section 2.3: "values of delta on the order of 1/||x||_1 are very dangerous").
 */

/**
 * A sentence saying why `delta` is too large for `datasetSize` records, or null when delta < 1/n.
 * @example deltaTooLarge(1e-3, 2000) // 'delta 0.001 is not below 1/n = 0.0005 (n = 2000 records): ...'
 * @example deltaTooLarge(1e-5, 60000) // null
 */
export function deltaTooLarge(delta: number, datasetSize: number): string | null {
  // delta < 1/n, written as delta * n < 1 (Dwork & Roth 2014, section 2.3)
  if (delta * datasetSize < 1 && delta < 1 / datasetSize) return null;
  return (
    `delta ${delta} is not below 1/n = ${1 / datasetSize} (n = ${datasetSize} records): ` +
    'a mechanism that publishes every record in the clear with probability delta meets it'
  );
}
