/**
 * Float32 arrays in one little-endian binary file plus a JSON index (name, shape, offset in floats): the layout
 * checkpoints use for weights and optimizer slots.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fail } from './fail.js';

export interface TensorEntry {
  name: string;
  shape: number[];
  values: Float32Array;
}

interface IndexEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function toBytes(entries: readonly TensorEntry[]): { bytes: Uint8Array; index: IndexEntry[] } {
  const total = entries.reduce((n, e) => n + e.values.length, 0);
  const all = new Float32Array(total);
  const index: IndexEntry[] = [];
  let offset = 0;
  for (const e of entries) {
    all.set(e.values, offset);
    index.push({ name: e.name, shape: e.shape, offset, length: e.values.length });
    offset += e.values.length;
  }
  const bytes = new Uint8Array(all.buffer);
  if (!littleEndian) fail('invalid_argument', 'checkpoints are written on little-endian hosts only');
  return { bytes, index };
}

/**
 * Writes `<base>.bin` and `<base>.json`; returns the binary file's sha256 (hex).
 * @example await writeTensors(dir, 'weights', [{ name: 'w', shape: [2], values: Float32Array.of(1, 2) }]);
 */
export async function writeTensors(dir: string, base: string, entries: readonly TensorEntry[]): Promise<string> {
  const { bytes, index } = toBytes(entries);
  await writeFile(join(dir, `${base}.bin`), bytes);
  await writeFile(
    join(dir, `${base}.json`),
    `${JSON.stringify({ dtype: 'float32', byteOrder: 'little', tensors: index }, null, 1)}\n`,
  );
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Reads what writeTensors wrote.
 * @example const [w] = await readTensors(dir, 'weights');
 */
export async function readTensors(dir: string, base: string): Promise<TensorEntry[]> {
  try {
    const index = JSON.parse(await readFile(join(dir, `${base}.json`), 'utf8')) as { tensors: IndexEntry[] };
    const raw = await readFile(join(dir, `${base}.bin`));
    const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    return index.tensors.map((t) => {
      if (t.offset + t.length > all.length) fail('bad_input', `${base}.bin is shorter than its index says`);
      return { name: t.name, shape: t.shape, values: all.slice(t.offset, t.offset + t.length) };
    });
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.name === 'TrainerError') throw err;
    return fail('bad_input', `cannot read checkpoint tensors '${base}' in '${dir}'`, err);
  }
}
