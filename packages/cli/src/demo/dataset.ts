/** Which Fashion-MNIST the demo trains on: --data, else the Debian dataset's directory, else the shipped sample. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from '../cli-error.js';

/** Where `apt-get install dataset-fashion-mnist` puts the four IDX files. */
export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

/** A chosen dataset directory and how to name it to the user. */
export interface DatasetChoice {
  dir: string;
  source: 'flag' | 'debian' | 'sample';
  label: string;
}

const FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

function hasIdx(dir: string): boolean {
  return FILES.every((f) => existsSync(join(dir, f)) || existsSync(join(dir, `${f}.gz`)));
}

/**
 * The Fashion-MNIST sample shipped in @dpledger/trainer (packages/trainer/fixtures/fashion-mnist-sample).
 * @example shippedSampleDir() // '/repo/packages/trainer/fixtures/fashion-mnist-sample'
 */
export function shippedSampleDir(): string {
  const entry = fileURLToPath(import.meta.resolve('@dpledger/trainer'));
  return join(dirname(entry), '..', 'fixtures', 'fashion-mnist-sample');
}

/**
 * Picks the dataset directory and says which one it is.
 * @example chooseDataset(undefined).source // 'debian' when the Debian package is installed
 */
export function chooseDataset(flag: string | undefined, debianDir = DEBIAN_FASHION_MNIST): DatasetChoice {
  if (flag !== undefined) {
    if (!hasIdx(flag))
      throw new CliError(`--data ${flag}: no Fashion-MNIST IDX files (${FILES.join(', ')}, raw or .gz) there`);
    return { dir: flag, source: 'flag', label: `Fashion-MNIST from ${flag}` };
  }
  if (hasIdx(debianDir))
    return {
      dir: debianDir,
      source: 'debian',
      label: `Fashion-MNIST from ${debianDir} (Debian dataset-fashion-mnist)`,
    };
  const sample = shippedSampleDir();
  if (!hasIdx(sample))
    throw new CliError(`no Fashion-MNIST found: install dataset-fashion-mnist, or pass --data DIR`, 1);
  return {
    dir: sample,
    source: 'sample',
    label:
      `the Fashion-MNIST sample shipped with @dpledger/trainer (${sample}); ` +
      'apt-get install dataset-fashion-mnist for the full set',
  };
}
