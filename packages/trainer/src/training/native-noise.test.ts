import { describe, expect, it } from 'vitest';
import { fillGaussian } from './gaussian-noise.js';
import { keystreamConformance } from './keystream-conformance.fixture.js';
import { nativeAccept, NativeKeystream, nativeKeystream } from './native-noise.js';
import { SecureRandomSource, SeededRandomSource, type RandomSource } from './random-source.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 255);
const SEED = '0b16212c37424d58636e7984909ba6b1';

describe('native noise (native/noise.cc): the keystream and the ziggurat step', () => {
  it('is built and loaded on this machine (npm install builds the addon)', () => {
    expect(nativeKeystream).not.toBeNull();
    expect(nativeAccept).not.toBeNull();
    expect(nativeKeystream!(KEY, 1)).toBeInstanceOf(NativeKeystream);
  });

  keystreamConformance((key, stream) => nativeKeystream!(key, stream));

  it('Gaussian fills with the native step are bit for bit the JavaScript ones (float32 and float64, any std)', () => {
    const seeded = (keystream?: typeof nativeKeystream) =>
      new SeededRandomSource(SEED, { stream: 'noise', position: 5, keystream: keystream ?? undefined });
    for (const std of [1, 0.37, 0, 1e-30, 3e5]) {
      for (const out of [new Float32Array(50_000), new Float64Array(9_000)]) {
        const js = fillGaussian(seeded(), out.slice(), std);
        const ours = fillGaussian(seeded(nativeKeystream), out.slice(), std, nativeAccept!);
        expect(
          Array.from(ours).every((v, i) => Object.is(v, js[i])),
          `std ${std} ${out.constructor.name}`,
        ).toBe(true);
      }
    }
  });

  it('the native step on secure words gives what the JavaScript step gives on the same words', () => {
    const words = new SecureRandomSource().fillUint32(new Uint32Array(2 * 30_000 + 4096));
    const replay = (): RandomSource => {
      let at = 0;
      return {
        mode: 'secure',
        nextUint32: () => words[at++]!,
        fillUint32: (o) => {
          o.set(words.subarray(at, at + o.length));
          at += o.length;
          return o;
        },
        position: () => null,
      };
    };
    const js = fillGaussian(replay(), new Float32Array(30_000), 1);
    const ours = fillGaussian(replay(), new Float32Array(30_000), 1, nativeAccept!);
    expect(Array.from(ours).every((v, i) => Object.is(v, js[i]))).toBe(true);
  });

  it('refuses short arrays and wrong types, writing nothing', () => {
    const w = new Uint32Array(64);
    const out = new Float32Array(32).fill(9);
    const pending = new Int32Array(32);
    expect(() => nativeAccept!(w, 33, out, 0, 1, pending)).toThrow(RangeError); // words for 32 samples only
    expect(() => nativeAccept!(w, 32, out, 1, 1, pending)).toThrow(RangeError); // out too short from start 1
    expect(() => nativeAccept!(w, 32, out, 0, 1, new Int32Array(31))).toThrow(RangeError);
    expect(() => nativeAccept!(w, 1.5, out, 0, 1, pending)).toThrow(RangeError);
    expect(() => nativeAccept!(new Int32Array(64) as never, 32, out, 0, 1, pending)).toThrow(RangeError);
    expect(out.every((v) => v === 9)).toBe(true);
  });
});
