import { erf } from 'mathjs';
import { describe, expect, it, vi } from 'vitest';
import { bernoulliExpNeg, discreteGaussianSampler, isqrt } from './discrete-gaussian.js';
import { fillGaussian } from './gaussian-noise.js';
import { PoissonSampler, ShuffleSampler } from './batch-sampler.js';
import { createCipheriv, createHash } from 'node:crypto';
import { chacha20Blocks, keyWords } from './chacha20.js';
import { Keystream } from './keystream.js';
import { SecureRandomSource, SeededRandomSource, uniform53, uniformInt } from './random-source.js';
import { sha256 } from './sha256.js';
import { buildZigguratTable, ZIGGURAT_LAYERS, ZIGGURAT_R, ZIGGURAT_V } from './ziggurat-table.js';

/** Standard normal CDF (Abramowitz & Stegun 26.2.29: Phi(x) = (1 + erf(x / sqrt 2)) / 2). */
const normalCdf = (x: number) => 0.5 * (1 + (erf(x / Math.SQRT2) as number));

/** Which N(0, 1) checks a sample fails: moments and the share beyond 3.5 at 6 sigma, Kolmogorov-Smirnov at 1e-9. */
function normalityFailures(z: Float64Array | Float32Array): string[] {
  const n = z.length;
  let m1 = 0,
    m2 = 0,
    m4 = 0,
    beyond = 0;
  for (let i = 0; i < n; i++) {
    const v = z[i]!;
    m1 += v;
    m2 += v * v;
    m4 += v ** 4;
    if (Math.abs(v) > 3.5) beyond++;
  }
  const failed: string[] = [];
  // N(0,1) moments: E z = 0 (sd 1), E z^2 = 1 (sd of z^2: sqrt 2), E z^4 = 3 (sd of z^4: sqrt(E z^8 - 9) = sqrt 96)
  if (!(Math.abs(m1 / n) < 6 / Math.sqrt(n))) failed.push('mean');
  if (!(Math.abs(m2 / n - 1) < 6 * Math.sqrt(2 / n))) failed.push('variance');
  if (!(Math.abs(m4 / n - 3) < 6 * Math.sqrt(96 / n))) failed.push('fourth moment');
  const p = 2 * (1 - normalCdf(3.5)); // P(|z| > 3.5) = 4.65e-4
  if (!(Math.abs(beyond / n - p) < 6 * Math.sqrt((p * (1 - p)) / n))) failed.push('tail');
  // Kolmogorov-Smirnov: P(sqrt(n) D > t) <= 2 exp(-2 t^2) (Dvoretzky-Kiefer-Wolfowitz, Massart 1990); 1e-9 -> t = 3.273
  const sorted = Float64Array.from(z).sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const c = normalCdf(sorted[i]!);
    d = Math.max(d, c - i / n, (i + 1) / n - c);
  }
  if (!(d * Math.sqrt(n) < Math.sqrt(Math.log(2 / 1e-9) / 2))) failed.push('ks');
  return failed;
}

const meanVar = (xs: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m += xs[i]!;
  m /= xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - m) ** 2;
  return [m, v / (xs.length - 1)] as const;
};

const SEED = '000102030405060708090a0b0c0d0e0f';
/**
 * A seeded source whose 128-bit seed is the integer n (fine for tests of the distribution, never for a private run).
 */
const seeded = (n: number, position?: number) => new SeededRandomSource(n.toString(16).padStart(32, '0'), { position });
// little-endian serialization (RFC 8439 2.3)
const hex = (words: Uint32Array) => Buffer.from(words.buffer, words.byteOffset, words.byteLength).toString('hex');
/**
 * Words [start, start + n) of OpenSSL's chacha20 keystream (IV = 64-bit counter, then 64-bit nonce (stream, 0)): an
 * independent oracle.
 */
function openSslWords(key: Uint8Array, stream: number, start: number, n: number): number[] {
  const block = Math.floor(start / 16);
  const iv = Buffer.alloc(16);
  iv.writeUInt32LE(block % 4294967296, 0);
  iv.writeUInt32LE(Math.floor(block / 4294967296), 4);
  iv.writeUInt32LE(stream, 8);
  const bytes = createCipheriv('chacha20', key, iv).update(Buffer.alloc(4 * (start - 16 * block + n)));
  return Array.from({ length: n }, (_, i) => bytes.readUInt32LE(4 * (start - 16 * block + i)));
}
const RFC_KEY = Uint8Array.from({ length: 32 }, (_, i) => i); // 00:01:02:...:1f (RFC 8439 2.3.2 and 2.4.2)

describe('ChaCha20 (RFC 8439)', () => {
  it('the block function gives the RFC 8439 section 2.3.2 test vector', () => {
    // counter 1, nonce 00:00:00:09:00:00:00:4a:00:00:00:00 as state words 12-15 (little-endian)
    const block = chacha20Blocks(keyWords(RFC_KEY), 1, 0x09000000, 0x4a000000, 0, new Uint32Array(16), 0, 1);
    expect(hex(block)).toBe(
      '10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e' +
        'd2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e',
    );
  });

  it('the keystream encrypts the RFC 8439 section 2.4.2 sunscreen text to its ciphertext', () => {
    // nonce 00:00:00:00:00:00:00:4a:00:00:00:00 is stream 0x4a000000 here; counter 1 is word 16 onward
    const plain = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, " +
        'sunscreen would be it.',
    );
    const ks = new Uint8Array(
      new Keystream(RFC_KEY, 0x4a000000).words(16, new Uint32Array(Math.ceil(plain.length / 4))).buffer,
    );
    const cipher = Buffer.from(plain.map((b, i) => b ^ ks[i]!)).toString('hex');
    expect(cipher).toBe(
      '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b' +
        'f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8' +
        '07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d',
    );
  });

  it('agrees with node:crypto (OpenSSL chacha20) at every offset and across the 2^32-block counter carry', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 255);
    const ours = new Keystream(key, 7);
    for (const [start, n] of [
      [0, 1],
      [3, 40],
      [16, 32],
      [29, 1000],
      [16 * 4294967295 - 5, 60],
      [16 * 4294967296 * 3 + 9, 17],
    ] as const) {
      expect(Array.from(ours.words(start, new Uint32Array(n))), `${start}+${n}`).toEqual(
        openSslWords(key, 7, start, n),
      );
    }
    // random access: word w is the same whether read alone or inside a longer read
    const long = ours.words(100, new Uint32Array(200));
    expect(Array.from(ours.words(150, new Uint32Array(10)))).toEqual(Array.from(long.subarray(50, 60)));
    // the carry: block 2^32 follows block 2^32 - 1 (never block 0 again)
    expect(Array.from(ours.words(16 * 4294967296, new Uint32Array(16)))).not.toEqual(
      Array.from(ours.words(0, new Uint32Array(16))),
    );
  });

  it('SHA-256 of the key derivation matches node:crypto (FIPS 180-4), on short and multi-block inputs', () => {
    for (const n of [0, 3, 55, 56, 64, 119, 200]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 13 + 1) & 255);
      expect(Buffer.from(sha256(data)).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    }
    expect(Buffer.from(sha256(new TextEncoder().encode('abc'))).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    ); // FIPS 180-2 B.1
  });
});

describe('random sources', () => {
  it('seeded streams are reproducible, differ by seed and by stream, and resume from a position', () => {
    const a = new SeededRandomSource(SEED);
    const first = Array.from({ length: 5 }, () => a.nextUint32());
    const again = new SeededRandomSource(SEED);
    expect(Array.from({ length: 5 }, () => again.nextUint32())).toEqual(first);
    const b = new SeededRandomSource(Uint8Array.from({ length: 16 }, (_, i) => i)); // the same seed as bytes
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(first);
    expect(a.position()).toBe(5);
    const resumed = new SeededRandomSource(SEED, { position: a.position() });
    expect(Array.from({ length: 5 }, () => resumed.nextUint32())).toEqual(
      Array.from({ length: 5 }, () => a.nextUint32()),
    );
    expect(new SeededRandomSource('000102030405060708090a0b0c0d0e0e').nextUint32()).not.toBe(first[0]);
    expect(new SeededRandomSource(SEED, { stream: 'noise' }).nextUint32()).not.toBe(first[0]);
  });

  it('a seeded source hands out the ChaCha20 keystream of SHA-256(label || seed) (checked against node:crypto)', () => {
    const key = createHash('sha256').update('dpledger seeded run v1\0').update(Buffer.from(SEED, 'hex')).digest();
    expect(Array.from(new SeededRandomSource(SEED, { stream: 'noise' }).fillUint32(new Uint32Array(40)))).toEqual(
      openSslWords(key, 1, 0, 40),
    ); // noise: nonce word 14 = 1
    expect(Array.from(new SeededRandomSource(SEED).fillUint32(new Uint32Array(40)))).toEqual(
      openSslWords(key, 0, 0, 40),
    );
  });

  it('refuses numeric, short, odd and non-hex seeds with invalid_argument', () => {
    for (const bad of [
      7,
      2 ** 40,
      'abc',
      '0001020304050607',
      '000102030405060708090a0b0c0d0e0',
      'zz0102030405060708090a0b0c0d0e0f',
      new Uint8Array(15),
      null,
      [1, 2, 3],
    ]) {
      expect(() => new SeededRandomSource(bad as never), String(bad)).toThrow(
        expect.objectContaining({ code: 'invalid_argument' }),
      );
    }
    expect(() => new SeededRandomSource(SEED, { position: -1 })).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });

  it('uniforms cover [0, 1) and integers are unbiased (6-sigma bounds)', () => {
    const src = new SecureRandomSource();
    const u = Float64Array.from({ length: 20000 }, () => uniform53(src));
    const [m, v] = meanVar(u);
    expect(Math.abs(m - 0.5)).toBeLessThan(6 * Math.sqrt(1 / 12 / 20000));
    expect(Math.abs(v - 1 / 12)).toBeLessThan(0.004);
    const counts = new Array(3).fill(0);
    for (let i = 0; i < 30000; i++) counts[uniformInt(src, 3)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(6 * Math.sqrt(30000 * (1 / 3) * (2 / 3)));
    expect(src.position()).toBeNull();
  });

  it('bulk fillUint32 gives the seeded stream word for word, mixing buffered and direct reads, and resumes', () => {
    const a = new SeededRandomSource(SEED);
    const b = new SeededRandomSource(SEED);
    a.nextUint32();
    b.nextUint32(); // start mid-buffer
    const bulk = [
      a.fillUint32(new Uint32Array(1003)),
      a.fillUint32(new Uint32Array(5000)),
      a.fillUint32(new Uint32Array(17)),
    ].flatMap((x) => Array.from(x));
    expect(bulk).toEqual(Array.from({ length: 6020 }, () => b.nextUint32()));
    expect(a.position()).toBe(b.position());
    const resumed = new SeededRandomSource(SEED, { position: a.position() });
    expect(Array.from(resumed.fillUint32(new Uint32Array(5)))).toEqual(Array.from({ length: 5 }, () => a.nextUint32()));
  });

  it('secure fillUint32 fills past 64 KiB in slices getRandomValues accepts', () => {
    const spy = vi.spyOn(globalThis.crypto, 'getRandomValues');
    const words = new SecureRandomSource().fillUint32(new Uint32Array(40000));
    expect(spy.mock.calls.length).toBe(3);
    for (const [arr] of spy.mock.calls) expect((arr as Uint32Array).byteLength).toBeLessThanOrEqual(65536);
    spy.mockRestore();
    // each 16,384-word slice got random words (a zero-filled slice would show as a mean near 0)
    for (const [lo, hi] of [
      [0, 16384],
      [16384, 32768],
      [32768, 40000],
    ] as const) {
      const [m] = meanVar(words.subarray(lo, hi));
      expect(Math.abs(m / 4294967296 - 0.5)).toBeLessThan(6 * Math.sqrt(1 / 12 / (hi - lo)));
    }
  });
});

describe('Ziggurat Gaussian noise (Marsaglia & Tsang 2000)', () => {
  it('every layer of the table has area v, and the base layer is the rectangle plus the exact tail', () => {
    const { x, f } = buildZigguratTable();
    const n = ZIGGURAT_LAYERS;
    for (let i = 1; i < n; i++) expect(Math.abs((x[i]! * (f[i + 1]! - f[i]!)) / ZIGGURAT_V - 1)).toBeLessThan(1e-8);
    const tail = Math.sqrt(Math.PI / 2) * (1 - normalCdf(ZIGGURAT_R)) * 2; // integral of exp(-t^2/2) over t > r
    expect(Math.abs((ZIGGURAT_R * Math.exp(-0.5 * ZIGGURAT_R ** 2) + tail) / ZIGGURAT_V - 1)).toBeLessThan(1e-8);
    expect(x[0]! * Math.exp(-0.5 * ZIGGURAT_R ** 2)).toBeCloseTo(ZIGGURAT_V, 15);
  });

  it('1e6 samples: mean, variance, 4th moment, tail beyond 3.5 sigma (6-sigma bounds) and KS at 1e-9', () => {
    const std = 2.5;
    const z = fillGaussian(seeded(3), new Float64Array(1_000_000), std).map((v) => v / std);
    expect(normalityFailures(z)).toEqual([]);
  });

  it('the same checks reject wrong samplers (the bounds are not vacuous)', () => {
    const n = 1_000_000;
    const good = fillGaussian(seeded(4), new Float64Array(n), 1);
    expect(normalityFailures(good.map((v) => v * 1.01))).toContain('variance');
    expect(normalityFailures(good.map((v) => (Math.abs(v) > 3.5 ? 0 : v)))).toContain('tail');
    // a Ziggurat that skips the wedge test (accepts every point of its layer) and the tail (clamps to r)
    const { x } = buildZigguratTable();
    const src = seeded(5);
    const noWedge = Float64Array.from({ length: n }, () => {
      const layer = src.nextUint32() & 255;
      const v = Math.min(uniform53(src) * x[layer]!, ZIGGURAT_R);
      return src.nextUint32() & 1 ? -v : v;
    });
    expect(normalityFailures(noWedge)).not.toEqual([]); // the wedges hold ~1% of the mass: the 4th moment sees it
    // a coarse sampler (z rounded to multiples of 0.05, same moments to 6 sigma): only the KS statistic sees it
    expect(normalityFailures(good.map((v) => Math.round(v * 20) / 20))).toContain('ks');
  });

  it('is reproducible from a seeded state, including across a checkpointed resume', () => {
    const a = seeded(9);
    const first = fillGaussian(a, new Float32Array(5000), 1);
    const saved = a.position();
    const second = fillGaussian(a, new Float32Array(777), 1);
    expect(Array.from(fillGaussian(seeded(9), new Float32Array(5000), 1))).toEqual(Array.from(first));
    expect(Array.from(fillGaussian(seeded(9, saved), new Float32Array(777), 1))).toEqual(Array.from(second));
    expect(fillGaussian(a, new Float32Array(0), 1).length).toBe(0);
    expect(() => fillGaussian(a, new Float32Array(1), Number.NaN)).toThrow();
  });
});

describe('batch samplers', () => {
  it('Poisson batch sizes have mean nq and variance nq(1-q); every example joins with probability q', () => {
    const n = 1000;
    const q = 0.05;
    const s = new PoissonSampler(seeded(11), n, q);
    const m = 2000;
    const sizes: number[] = [];
    const hits = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      const b = s.next();
      sizes.push(b.length);
      for (const j of b) hits[j]!++;
    }
    const [mean, variance] = meanVar(sizes);
    const trueVar = n * q * (1 - q);
    expect(Math.abs(mean - n * q)).toBeLessThan(6 * Math.sqrt(trueVar / m));
    expect(Math.abs(variance - trueVar)).toBeLessThan(6 * trueVar * Math.sqrt(2 / (m - 1)));
    expect(new Set(sizes).size).toBeGreaterThan(10); // sizes vary
    const [hitMean] = meanVar(hits);
    expect(Math.abs(hitMean / m - q)).toBeLessThan(0.002);
    expect(s.stepsPerEpoch).toBe(20);
  });

  it('Poisson batches are empty at rate (1-q)^n', () => {
    const s = new PoissonSampler(seeded(5), 100, 0.01);
    let empty = 0;
    const m = 3000;
    for (let i = 0; i < m; i++) if (s.next().length === 0) empty++;
    const p = 0.99 ** 100;
    expect(Math.abs(empty / m - p)).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / m));
  });

  it('shuffle batches are fixed-size and cover each example once per epoch, resumable', () => {
    const s = new ShuffleSampler(seeded(2), 10, 3);
    expect(s.stepsPerEpoch).toBe(3);
    const seen = [...s.next(), ...s.next(), ...s.next()];
    expect(new Set(seen).size).toBe(9);
    const saved = s.state();
    const twin = new ShuffleSampler(seeded(99), 10, 3, saved);
    expect(saved.cursor).toBe(9);
    expect(twin.state()).toEqual(saved);
  });
});

describe('discrete Gaussian (Canonne, Kamath, Steinke 2020)', () => {
  it('Bernoulli(exp(-g)) is exact in frequency for g <= 1 and g > 1', () => {
    const src = seeded(21);
    for (const [num, den] of [
      [1n, 1n],
      [1n, 3n],
      [5n, 2n],
    ] as const) {
      const m = 20000;
      let k = 0;
      for (let i = 0; i < m; i++) if (bernoulliExpNeg(src, num, den)) k++;
      const p = Math.exp(-Number(num) / Number(den));
      expect(Math.abs(k / m - p)).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / m));
    }
    expect(isqrt(99n)).toBe(9n);
    expect(isqrt(100n)).toBe(10n);
    expect(isqrt(12345678987654321n * 12345678987654321n)).toBe(12345678987654321n);
  });

  it('matches the N_Z(0, S) probability mass and variance', () => {
    const S = 20;
    const draw = discreteGaussianSampler(seeded(4), S);
    const m = 30000;
    const xs = Array.from({ length: m }, draw);
    expect(xs.every(Number.isInteger)).toBe(true);
    let z = 0;
    let second = 0;
    for (let y = -200; y <= 200; y++) {
      z += Math.exp((-y * y) / (2 * S));
      second += y * y * Math.exp((-y * y) / (2 * S));
    }
    for (const y of [0, 3, -6]) {
      const p = Math.exp((-y * y) / (2 * S)) / z;
      const f = xs.filter((x) => x === y).length / m;
      expect(Math.abs(f - p)).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / m));
    }
    const [mean, variance] = meanVar(xs);
    const trueVar = second / z;
    expect(Math.abs(mean)).toBeLessThan(6 * Math.sqrt(trueVar / m));
    expect(Math.abs(variance / trueVar - 1)).toBeLessThan(6 * Math.sqrt(3 / m));
  });
});
