import fc from 'fast-check';
import { expect, it } from 'vitest';
import { Keystream, type KeystreamFactory } from './keystream.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 255);
const TWO_POW_32 = 4294967296;

/** Words [start, start + n) of the plain TypeScript keystream (the reference every other keystream must equal). */
const reference = (stream: number, start: number, n: number) =>
  Array.from(new Keystream(KEY, stream).words(start, new Uint32Array(n)));

/**
 * The tests every keystream factory passes, as `it` blocks inside the caller's `describe`: word for word the
 * TypeScript keystream at awkward positions and over any sequence of reads, the RFC 8439 test vector, and the same
 * refusals.
 * @example describe('OpenSslKeystream', () => keystreamConformance((k, s) => new OpenSslKeystream(k, s)));
 */
export function keystreamConformance(make: KeystreamFactory): void {
  it('equals the TypeScript keystream at unaligned starts, across blocks, chunks and the 2^32-block carry', () => {
    for (const [start, n] of [
      [0, 1],
      [1, 15],
      [3, 40],
      [15, 2],
      [16, 32],
      [16, 16 * 16], // exactly one AVX-512 pass of 16 blocks (native)
      [16, 16 * 16 + 1],
      [29, 1000],
      [7, 16384 + 33], // longer than one 64 KiB update chunk (OpenSSL), from inside a block
      [16 * (TWO_POW_32 - 1) - 5, 60], // word 12 wraps to 0 and carries into word 13
      [16 * (TWO_POW_32 - 2) + 3, 16 * 5], // the carry in the middle of a multi-block read
      [16 * (TWO_POW_32 - 8) + 3, 16 * 40], // ... and inside a vector pass
      [16 * TWO_POW_32 * 3 + 9, 17],
      [Number.MAX_SAFE_INTEGER - 20, 21], // the last safe position: block 2^49 - 1, counter high word 2^17 - 1
    ] as const) {
      const ours = make(KEY, 7).words(start, new Uint32Array(n));
      expect(Array.from(ours), `${start}+${n}`).toEqual(reference(7, start, n));
    }
  });

  it('equals it for any sequence of reads: continuing, jumping back and forth, any lengths (property)', () => {
    const read = fc.record({
      jump: fc.oneof(fc.constant(null), fc.nat(5000), fc.constantFrom(16 * TWO_POW_32 - 17, 16 * TWO_POW_32 + 1)),
      n: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1000, max: 20000 })),
    });
    fc.assert(
      fc.property(fc.array(read, { minLength: 1, maxLength: 8 }), fc.nat(TWO_POW_32 - 1), (reads, stream) => {
        const ks = make(KEY, stream);
        let pos = 0;
        for (const { jump, n } of reads) {
          pos = jump ?? pos; // null: continue where the last read ended (an open cipher's fast path)
          const got = Array.from(ks.words(pos, new Uint32Array(n)));
          if (got.join() !== reference(stream, pos, n).join()) return false;
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
    const words = make(key, 0x4a000000).words(16, new Uint32Array(Math.ceil(plain.length / 4)));
    const ks = new Uint8Array(words.buffer);
    expect(Buffer.from(plain.map((b, i) => b ^ ks[i]!)).toString('hex')).toBe(
      '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b' +
        'f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8' +
        '07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d',
    );
  });

  it('refuses what Keystream refuses', () => {
    expect(() => make(new Uint8Array(31), 0)).toThrow(RangeError);
    expect(() => make(KEY, TWO_POW_32)).toThrow(RangeError);
    expect(() => make(KEY, 0).words(-1, new Uint32Array(1))).toThrow(RangeError);
    expect(() => make(KEY, 0).words(0.5, new Uint32Array(1))).toThrow(RangeError);
  });
}
