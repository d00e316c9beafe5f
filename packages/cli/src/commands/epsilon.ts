/**
 * `dpledger epsilon`: the epsilon of a DP-SGD run (Poisson sampling, Gaussian noise) at a delta, by RDP (with
 * its optimal order) and/or PLD, and the smaller of the two (both are valid upper bounds).
 */
import {
  AccountingError,
  RdpAccountant,
  accountantFactory,
  dpSgdEvent,
  tightestEpsilon,
  type AccountantKind,
} from '@dpledger/accounting';
import { numberFlag, parseFlags } from '../args.js';
import { CliError } from '../cli-error.js';
import { DP_SGD_HELP, DP_SGD_OPTIONS, readDpSgdFlags, stdoutIo, type CommandIo } from '../dp-sgd-flags.js';
import { formatNumber, formatTable, formatUp } from '../format-table.js';

export const summary = 'epsilon of a DP-SGD run by RDP and/or PLD';

const HELP =
  'usage: dpledger epsilon --sampling-probability <q> --noise-multiplier <sigma> --steps <T> [--delta <d>] ' +
  `[--accountant rdp|pld|all] [--json]

  --noise-multiplier <sigma>        Gaussian noise standard deviation / clipping norm (> 0)
${DP_SGD_HELP}
exit status: 0 ok, 2 bad usage`;

/** One accountant's answer. */
export interface EpsilonRow {
  accountant: AccountantKind;
  epsilon: number;
  /** RDP only: the optimal order. */
  order?: number;
}

/** Epsilon of `steps` DP-SGD steps by one accountant. */
export function epsilonBy(kind: AccountantKind, q: number, sigma: number, steps: number, delta: number): EpsilonRow {
  const acc = accountantFactory(kind)().compose(dpSgdEvent(q, sigma, steps));
  if (acc instanceof RdpAccountant) {
    const { epsilon, order } = acc.getEpsilonAndOrder(delta);
    return { accountant: kind, epsilon, order };
  }
  return { accountant: kind, epsilon: acc.getEpsilon(delta) };
}

export async function run(argv: string[], io: CommandIo = stdoutIo): Promise<number> {
  const flags = parseFlags(argv, { ...DP_SGD_OPTIONS, 'noise-multiplier': { type: 'string' } });
  if (flags.values['help'] === true) {
    io.out(`${HELP}\n`);
    return 0;
  }
  const raw = flags.values['noise-multiplier'];
  const sigma = numberFlag('noise-multiplier', typeof raw === 'string' ? raw : undefined, { min: 0, minOpen: true });
  if (sigma === undefined) throw new CliError('missing --noise-multiplier');
  const f = readDpSgdFlags(flags);
  let rows: EpsilonRow[];
  try {
    rows = f.accountants.map((kind) => epsilonBy(kind, f.samplingProbability, sigma, f.steps, f.delta));
  } catch (err) {
    if (err instanceof AccountingError)
      throw new CliError(err.message, err.code === 'invalid_argument' || err.code === 'invalid_event' ? 2 : 1);
    throw err;
  }
  // Every row is a valid upper bound, so the smallest is the one to quote (and the one named).
  const tightest = tightestEpsilon(Object.fromEntries(rows.map((r) => [r.accountant, r.epsilon])));
  const wire = (x: number) => (Number.isFinite(x) ? x : String(x));
  if (f.json) {
    const body = {
      sampling_probability: f.samplingProbability,
      noise_multiplier: sigma,
      steps: f.steps,
      delta: f.delta,
      results: rows.map((r) => ({ ...r, epsilon: wire(r.epsilon) })),
      tightest: { accountant: tightest.accountant, epsilon: wire(tightest.epsilon) },
    };
    io.out(`${JSON.stringify(body)}\n`);
    return 0;
  }
  io.out(
    `DP-SGD: q=${formatNumber(f.samplingProbability, 6)}  sigma=${formatNumber(sigma, 6)}  ` +
      `steps=${f.steps}  delta=${formatNumber(f.delta)}\n`,
  );
  io.out(
    formatTable(
      [{ header: 'accountant' }, { header: 'epsilon', align: 'right' }, { header: 'detail' }],
      rows.map((r) => [
        r.accountant,
        formatUp(r.epsilon),
        r.order !== undefined ? `optimal order ${r.order}` : 'interval 1e-4, pessimistic',
      ]),
    ),
  );
  if (rows.length > 1)
    io.out(`epsilon ${formatUp(tightest.epsilon)} (${tightest.accountant}: the smaller of the valid bounds)\n`);
  return 0;
}
