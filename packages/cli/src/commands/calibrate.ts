/**
 * `dpledger calibrate`: the smallest noise multiplier found whose DP-SGD epsilon at delta is within
 * [target - tolerance, target], by RDP and/or PLD.
 */
import { AccountingError, calibrateNoiseMultiplier, type AccountantKind } from '@dpledger/accounting';
import { numberFlag, parseFlags } from '../args.js';
import { CliError } from '../cli-error.js';
import { DP_SGD_HELP, DP_SGD_OPTIONS, readDpSgdFlags, stdoutIo, type CommandIo } from '../dp-sgd-flags.js';
import { formatNumber, formatTable, formatUp } from '../format-table.js';

export const summary = 'the noise multiplier that meets a target epsilon';

const HELP =
  'usage: dpledger calibrate --target-epsilon <eps> --sampling-probability <q> --steps <T> [--delta <d>] ' +
  `[--accountant rdp|pld|all] [--tolerance <t>] [--json]

  --target-epsilon <eps>            the privacy budget (> 0); the result never exceeds it
  --tolerance <t>                   achieved epsilon >= target - t (default 0.01)
${DP_SGD_HELP}
exit status: 0 ok, 1 no noise multiplier reaches the target, 2 bad usage`;

interface Row {
  accountant: AccountantKind;
  noise_multiplier: number;
  epsilon: number;
}

export async function run(argv: string[], io: CommandIo = stdoutIo): Promise<number> {
  const flags = parseFlags(argv, {
    ...DP_SGD_OPTIONS,
    'target-epsilon': { type: 'string' },
    tolerance: { type: 'string' },
  });
  if (flags.values['help'] === true) {
    io.out(`${HELP}\n`);
    return 0;
  }
  const str = (k: string) => (typeof flags.values[k] === 'string' ? (flags.values[k] as string) : undefined);
  const target = numberFlag('target-epsilon', str('target-epsilon'), { min: 0, minOpen: true });
  if (target === undefined) throw new CliError('missing --target-epsilon');
  const tolerance = numberFlag('tolerance', str('tolerance'), { min: 0, minOpen: true }) ?? 0.01;
  const f = readDpSgdFlags(flags);
  const rows: Row[] = [];
  for (const accountant of f.accountants) {
    try {
      const r = calibrateNoiseMultiplier({
        targetEpsilon: target,
        targetDelta: f.delta,
        samplingProbability: f.samplingProbability,
        steps: f.steps,
        accountant,
        tolerance,
      });
      rows.push({ accountant, noise_multiplier: r.noiseMultiplier, epsilon: r.epsilon });
    } catch (err) {
      if (err instanceof AccountingError) throw new CliError(err.message, err.code === 'calibration_failed' ? 1 : 2);
      throw err;
    }
  }
  if (f.json) {
    const body = {
      target_epsilon: target,
      delta: f.delta,
      sampling_probability: f.samplingProbability,
      steps: f.steps,
      tolerance,
      results: rows,
    };
    io.out(`${JSON.stringify(body)}\n`);
    return 0;
  }
  io.out(
    `DP-SGD: target epsilon=${formatNumber(target)}  q=${formatNumber(f.samplingProbability, 6)}  ` +
      `steps=${f.steps}  delta=${formatNumber(f.delta)}\n`,
  );
  io.out(
    formatTable(
      [{ header: 'accountant' }, { header: 'noise multiplier', align: 'right' }, { header: 'epsilon', align: 'right' }],
      rows.map((r) => [r.accountant, formatUp(r.noise_multiplier, 6), formatUp(r.epsilon)]),
    ),
  );
  return 0;
}
