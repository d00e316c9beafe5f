/**
 * Random access into a ChaCha20 keystream (chacha20.ts) as 32-bit words: word w of stream s is word (w mod 16) of
 * block floor(w / 16) under nonce (s, 0). Plain TypeScript on every platform, so Node, browsers and the main thread
 * give the same words; randomness.test.ts pins it to the RFC 8439 test vectors and to node:crypto's OpenSSL
 * `chacha20`. The Node-only noise worker reads the same words from OpenSSL instead (openssl-keystream.ts: one cipher
 * kept open across sequential reads, about 5x faster for its megabytes per step); openssl-keystream.test.ts pins the
 * two equal at every position.
 */
import { chacha20Blocks, keyWords } from './chacha20.js';

const TWO_POW_32 = 4294967296;

/** Random access into one keyed ChaCha20 stream as 32-bit words (`Keystream`, or OpenSSL's under Node). */
export interface KeystreamWords {
  /** Writes keystream words [start, start + out.length) into `out` and returns it. */
  words(start: number, out: Uint32Array): Uint32Array;
}

/** Makes the words of stream `stream` under a 32-byte key; every factory gives exactly `Keystream`'s words. */
export type KeystreamFactory = (key: Uint8Array, stream: number) => KeystreamWords;

/**
 * Checks a ChaCha20 key and stream id (internal assertions: keys and stream ids come from the trainer's seed
 * derivation, never from a user).
 * @example checkKeystreamArgs(new Uint8Array(32), 1) // no throw
 */
export function checkKeystreamArgs(key: Uint8Array, stream: number): void {
  if (key.length !== 32) throw new RangeError('a ChaCha20 key has 32 bytes');
  if (!(Number.isInteger(stream) && stream >= 0 && stream < TWO_POW_32)) {
    throw new RangeError('a stream id is a 32-bit unsigned integer');
  }
}

/**
 * Checks a keystream position (a word index): a safe integer >= 0.
 * @example checkKeystreamPosition(17) // no throw
 */
export function checkKeystreamPosition(start: number): void {
  if (!(Number.isSafeInteger(start) && start >= 0)) throw new RangeError(`bad keystream position ${start}`);
}

/**
 * One keyed ChaCha20 stream: `words(start, out)` writes its words start .. start + out.length - 1 into `out`.
 * @example new Keystream(new Uint8Array(32), 1).words(0, new Uint32Array(16)) // block 0 of stream 1
 */
export class Keystream implements KeystreamWords {
  private readonly key: Uint32Array;
  private readonly block = new Uint32Array(16);

  constructor(
    key: Uint8Array,
    readonly stream: number,
  ) {
    checkKeystreamArgs(key, stream);
    this.key = keyWords(key);
  }

  /** Writes keystream words [start, start + out.length) into `out` and returns it. */
  words(start: number, out: Uint32Array): Uint32Array {
    checkKeystreamPosition(start);
    let i = 0;
    let pos = start;
    while (i < out.length) {
      const off = pos % 16;
      const block = (pos - off) / 16;
      const whole = Math.floor((out.length - i) / 16);
      if (off === 0 && whole > 0) {
        // straight into out
        chacha20Blocks(this.key, block % TWO_POW_32, Math.floor(block / TWO_POW_32), this.stream, 0, out, i, whole);
        i += 16 * whole;
        pos += 16 * whole;
      } else {
        // a partial block
        chacha20Blocks(this.key, block % TWO_POW_32, Math.floor(block / TWO_POW_32), this.stream, 0, this.block, 0, 1);
        const take = Math.min(16 - off, out.length - i);
        out.set(this.block.subarray(off, off + take), i);
        i += take;
        pos += take;
      }
    }
    return out;
  }
}
