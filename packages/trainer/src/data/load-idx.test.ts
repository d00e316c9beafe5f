import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIdx, manifestDigest, parseIdx, toTensors } from '@dpledger/trainer';

const SAMPLE = new URL('../../fixtures/fashion-mnist-sample', import.meta.url).pathname;

describe('loadIdx on the shipped Fashion-MNIST sample', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('reads 2,000 train and 500 test images with the upstream first labels', async () => {
    const train = await loadIdx(SAMPLE, { split: 'train' });
    expect([train.count, train.rows, train.cols]).toEqual([2000, 28, 28]);
    expect(train.images.length).toBe(2000 * 784);
    // first ten training labels of Fashion-MNIST (upstream train-labels-idx1-ubyte; see fixtures/README.md)
    expect(Array.from(train.labels.slice(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(Math.min(...train.images.slice(0, 784))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...train.images.slice(0, 784))).toBeLessThanOrEqual(1);
    const test = await loadIdx(SAMPLE, { split: 'test', limit: 100 });
    expect(test.count).toBe(100);
    expect(test.labels.length).toBe(100);
  });

  it('has a stable manifest digest over the files read, which a limit changes', async () => {
    const a = await loadIdx(SAMPLE, { split: 'test' });
    const b = await loadIdx(SAMPLE, { split: 'test' });
    expect(a.manifest.sha256).toBe(b.manifest.sha256);
    expect(a.manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const f of a.manifest.files) {
      const bytes = readFileSync(join(SAMPLE, f.name));
      expect(f.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(f.bytes).toBe(bytes.length);
    }
    // shipped file digests, from fixtures/README.md
    expect(a.manifest.files.map((f) => f.sha256).sort()).toEqual(
      [
        '7125a1fae6e0baeb5781a906952f34f00212b6967cf81a79ce6ac000e771f379',
        'd49c012a4831f362c834220b80c45303c545ac4cbf37f97e3c7d14a50bd19939',
      ].sort(),
    );
    const lines = [...a.manifest.files]
      .sort((x, y) => x.name.localeCompare(y.name))
      .map((f) => `${f.sha256}  ${f.name}\n`)
      .join('');
    expect(a.manifest.sha256).toBe(createHash('sha256').update(`${lines}count 500\n`).digest('hex'));
    expect(manifestDigest(a.manifest.files, 499)).not.toBe(a.manifest.sha256);
    expect((await loadIdx(SAMPLE, { split: 'test', limit: 499 })).manifest.sha256).not.toBe(a.manifest.sha256);
  });

  it('reads raw (uncompressed) files the same as gzipped ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idx-raw-'));
    for (const name of readdirSync(SAMPLE).filter((n) => n.startsWith('t10k'))) {
      writeFileSync(join(dir, name.replace(/\.gz$/, '')), gunzipSync(readFileSync(join(SAMPLE, name))));
    }
    const raw = await loadIdx(dir, { split: 'test' });
    const gz = await loadIdx(SAMPLE, { split: 'test' });
    expect(raw.images).toEqual(gz.images);
    expect(raw.labels).toEqual(gz.labels);
    expect(raw.manifest.sha256).not.toBe(gz.manifest.sha256);
    expect(raw.manifest.files.map((f) => f.name).sort()).toEqual(['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']);
  });

  it('refuses malformed input with bad_input', async () => {
    expect(() => parseIdx(new Uint8Array([1, 2, 3, 4]))).toThrow(expect.objectContaining({ code: 'bad_input' }));
    expect(() => parseIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]))).toThrow(/not supported/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))).toThrow(/header says 5/);
    await expect(loadIdx(mkdtempSync(join(tmpdir(), 'idx-empty-')), { split: 'train' })).rejects.toMatchObject({
      code: 'bad_input',
    });
  });

  it('turns a split into image or flat tensors with one-hot labels', async () => {
    const d = await loadIdx(SAMPLE, { split: 'test', limit: 8 });
    const img = toTensors(d, { layout: 'image' });
    const flat = toTensors(d, { layout: 'flat' });
    expect(img.xs.shape).toEqual([8, 28, 28, 1]);
    expect(flat.xs.shape).toEqual([8, 784]);
    expect(Array.from(img.ys.argMax(1).dataSync())).toEqual(Array.from(d.labels));
  });
});
