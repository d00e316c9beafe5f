import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Keystream } from './keystream.js';
import { fastKeystream, OpenSslKeystream } from './openssl-keystream.js';
import { SeededRandomSource } from './random-source.js';
import { fillGaussian } from './gaussian-noise.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 255);
const TWO_POW_32 = 4294967296;
const SEED = '0b16212c37424d58636e7984909ba6b1';

/** Words [start, start + n) of the plain TypeScript keystream (the reference the OpenSSL path must equal). */
const reference = (stream: number, start: number, n: number) =>
  Array.from(new Keystream(KEY, stream).words(start, new Uint32Array(n)));

describe('OpenSslKeystream (node:crypto chacha20)', () => {
  it('is what fastKeystream gives on this Node', () => {
    expect(fastKeystream(KEY, 1)).toBeInstanceOf(OpenSslKeystream);
  });

  it('equals the TypeScript keystream at unaligned starts, across blocks, chunks and the 2^32-block carry', () => {
    for (const [start, n] of [
      [0, 1],
      [1, 15],
      [3, 40],
      [15, 2],
      [16, 32],
      [29, 1000],
      [7, 16384 + 33], // longer than one 64 KiB update chunk, from inside a block
      [16 * (TWO_POW_32 - 1) - 5, 60], // word 12 wraps to 0 and carries into word 13
      [16 * (TWO_POW_32 - 2) + 3, 16 * 5], // the carry in the middle of a multi-block read
      [16 * TWO_POW_32 * 3 + 9, 17],
      [Number.MAX_SAFE_INTEGER - 20, 21], // the last safe position: block 2^49 - 1, counter high word 2^17 - 1
    ] as const) {
      const ours = new OpenSslKeystream(KEY, 7).words(start, new Uint32Array(n));
      expect(Array.from(ours), `${start}+${n}`).toEqual(reference(7, start, n));
    }
  });

  it('equals it for any sequence of reads: continuing, jumping back and forth, any lengths (property)', () => {
    const read = fc.record({
      jump: fc.oneof(fc.constant(null), fc.nat(5000), fc.constantFrom(16 * TWO_POW_32 - 17, 16 * TWO_POW_32 + 1)),
      n: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1000, max: 20000 })),
    });
    fc.assert(
      fc.property(fc.array(read, { minLength: 1, maxLength: 8 }), (reads) => {
        const ssl = new OpenSslKeystream(KEY, 3);
        let pos = 0;
        for (const { jump, n } of reads) {
          pos = jump ?? pos; // null: continue where the last read ended (the open cipher's fast path)
          const got = Array.from(ssl.words(pos, new Uint32Array(n)));
          if (got.join() !== reference(3, pos, n).join()) return false;
          pos += n;
        }
        return true;
      }),
      { numRuns: 40 },
    );
  });

  it('gives the RFC 8439 section 2.4.2 keystream (sunscreen text) like the TypeScript path', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i); // 00:01:...:1f
    const plain = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, " +
        'sunscreen would be it.',
    );
    // nonce 00:00:00:00:00:00:00:4a:00:00:00:00 is stream 0x4a000000; counter 1 is word 16 onward
    const words = new OpenSslKeystream(key, 0x4a000000).words(16, new Uint32Array(Math.ceil(plain.length / 4)));
    const ks = new Uint8Array(words.buffer);
    expect(Buffer.from(plain.map((b, i) => b ^ ks[i]!)).toString('hex')).toBe(
      '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b' +
        'f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8' +
        '07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d',
    );
  });

  it('refuses what Keystream refuses', () => {
    expect(() => new OpenSslKeystream(new Uint8Array(31), 0)).toThrow(RangeError);
    expect(() => new OpenSslKeystream(KEY, TWO_POW_32)).toThrow(RangeError);
    expect(() => new OpenSslKeystream(KEY, 0).words(-1, new Uint32Array(1))).toThrow(RangeError);
    expect(() => new OpenSslKeystream(KEY, 0).words(0.5, new Uint32Array(1))).toThrow(RangeError);
  });

  it('a seeded source on it gives the same words and Gaussian fills, from a mid-block position', () => {
    const make = (keystream?: typeof fastKeystream) =>
      new SeededRandomSource(SEED, { stream: 'noise', position: 5, keystream });
    const [ts, ssl] = [make(), make(fastKeystream)];
    const draw = (src: SeededRandomSource) => [
      src.nextUint32(),
      ...src.fillUint32(new Uint32Array(3000)),
      ...fillGaussian(src, new Float32Array(20000), 0.37),
      src.nextUint32(),
      src.position(),
    ];
    expect(draw(ssl)).toEqual(draw(ts));
  });
});
