/**
 * Loads an MNIST-style split (images + labels) from a directory, with a sha256 manifest of exactly what was read,
 * for the report's dataset subject.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fail } from '../training/fail.js';
import { parseIdx } from './idx.js';

/** One file that went into the data, as stored on disk. */
export interface ManifestFile {
  name: string;
  sha256: string;
  bytes: number;
}

/**
 * The dataset manifest. `sha256` is the SHA-256 (FIPS 180-4) of the UTF-8 text made of one
 * `<sha256>  <name>\n` line per file (sha256sum format, files sorted by name) followed by `count <n>\n`,
 * so a truncated load (`limit`) has a different digest from the full one.
 */
export interface DatasetManifest {
  files: ManifestFile[];
  count: number;
  sha256: string;
}

/** A loaded split: pixels scaled to [0, 1], row-major [count, rows, cols]; labels as class indices. */
export interface IdxDataset {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  manifest: DatasetManifest;
}

const PREFIX = { train: 'train', test: 't10k' } as const;

function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The manifest digest of a file list and example count (see DatasetManifest).
 * @example manifestDigest([{ name: 'a', sha256: '00', bytes: 1 }], 1)
 */
export function manifestDigest(files: readonly ManifestFile[], count: number): string {
  const lines = [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.name}\n`);
  return sha256Hex(`${lines.join('')}count ${count}\n`);
}

async function findFile(dir: string, base: string): Promise<string> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    return fail('bad_input', `cannot read data directory '${dir}'`, err);
  }
  const hit = names.find((n) => n === `${base}.gz`) ?? names.find((n) => n === base);
  if (hit === undefined) fail('bad_input', `no ${base}[.gz] in '${dir}'`);
  return hit;
}

/**
 * Reads `<prefix>-images-idx3-ubyte[.gz]` and `<prefix>-labels-idx1-ubyte[.gz]` (prefix `train` or `t10k`).
 * @example
 * const dir = '/usr/share/datasets/fashion-mnist';
 * const { images, labels, count, manifest } = await loadIdx(dir, { split: 'test', limit: 500 });
 */
export async function loadIdx(dir: string, opts: { split: 'train' | 'test'; limit?: number }): Promise<IdxDataset> {
  const prefix = PREFIX[opts.split];
  if (prefix === undefined) fail('invalid_argument', `split must be 'train' or 'test'`);
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit >= 0))
    fail('invalid_argument', `limit must be an integer >= 0`);
  const files: ManifestFile[] = [];
  const read = async (base: string) => {
    const name = await findFile(dir, base);
    const raw = new Uint8Array(await readFile(join(dir, name)));
    files.push({ name, sha256: sha256Hex(raw), bytes: raw.byteLength });
    return parseIdx(raw, name);
  };
  const img = await read(`${prefix}-images-idx3-ubyte`);
  const lab = await read(`${prefix}-labels-idx1-ubyte`);
  if (img.shape.length !== 3) fail('bad_input', `images must be 3-dimensional, got [${img.shape}]`);
  if (lab.shape.length !== 1) fail('bad_input', `labels must be 1-dimensional, got [${lab.shape}]`);
  const [n, rows, cols] = img.shape as [number, number, number];
  if (lab.shape[0] !== n) fail('bad_input', `${n} images but ${lab.shape[0]} labels`);
  const count = Math.min(n, opts.limit ?? n);
  const pixels = rows * cols;
  const images = new Float32Array(count * pixels);
  for (let i = 0; i < images.length; i++) images[i] = img.data[i]! / 255;
  const labels = lab.data.slice(0, count);
  return { images, labels, count, rows, cols, manifest: { files, count, sha256: manifestDigest(files, count) } };
}
