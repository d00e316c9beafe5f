/**
 * The seeded keystream of keystream.ts read from OpenSSL's `chacha20` cipher (node:crypto) instead of the plain
 * TypeScript block function: the same words at every position, about 5x faster for the noise worker's megabytes per
 * step. Node only (a static node:crypto import): only the Node-only noise worker (noise-worker.ts) loads it, and it
 * falls back to `Keystream` where OpenSSL lacks the cipher or the platform is big-endian.
 *
 * OpenSSL's 16-byte `chacha20` IV is state words 12-15 (chacha20.ts): the 64-bit block counter (low word first,
 * carried into word 13 on overflow) and the 64-bit nonce, little-endian. Word w of stream s is word (w mod 16) of
 * block floor(w / 16) under nonce (s, 0), as in keystream.ts. A cipher is opened at the block of a read's start, the
 * words before the start inside that block are skipped, and it stays open: a read that starts where the previous one
 * ended (every read of a SeededRandomSource) just continues it. The cipher encrypts zeros, so its output is the
 * keystream itself.
 */
import { createCipheriv, type Cipher } from 'node:crypto';
import {
  checkKeystreamArgs,
  checkKeystreamPosition,
  Keystream,
  type KeystreamFactory,
  type KeystreamWords,
} from './keystream.js';

const TWO_POW_32 = 4294967296;
/** Bytes per `update` call: its output is a fresh Buffer, and 64 KiB measured fastest (4 KiB: 2x slower). */
const CHUNK_BYTES = 65536;
const ZEROS = new Uint8Array(CHUNK_BYTES);
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * One keyed ChaCha20 stream read through OpenSSL; `words` gives exactly `Keystream.words`.
 * @example new OpenSslKeystream(new Uint8Array(32), 1).words(5, new Uint32Array(40)) // words 5..44 of stream 1
 */
export class OpenSslKeystream implements KeystreamWords {
  private readonly key: Uint8Array;
  private cipher: Cipher | null = null;
  private nextWord = -1; // the word the open cipher gives next

  constructor(
    key: Uint8Array,
    readonly stream: number,
  ) {
    checkKeystreamArgs(key, stream);
    this.key = Uint8Array.from(key);
  }

  /** Writes keystream words [start, start + out.length) into `out` and returns it. */
  words(start: number, out: Uint32Array): Uint32Array {
    checkKeystreamPosition(start);
    const cipher = this.cipher !== null && start === this.nextWord ? this.cipher : this.open(start);
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength); // little-endian words (checked below)
    for (let i = 0; i < bytes.length; i += CHUNK_BYTES)
      bytes.set(cipher.update(ZEROS.subarray(0, Math.min(CHUNK_BYTES, bytes.length - i))), i);
    this.nextWord = start + out.length;
    return out;
  }

  /** A cipher positioned at word `start`: opened at its block, then the words before it in the block skipped. */
  private open(start: number): Cipher {
    const off = start % 16;
    const block = (start - off) / 16;
    const iv = new Uint8Array(16);
    const view = new DataView(iv.buffer);
    view.setUint32(0, block % TWO_POW_32, true); // state word 12: counter, low word
    view.setUint32(4, Math.floor(block / TWO_POW_32), true); // word 13: counter, high word
    view.setUint32(8, this.stream, true); // word 14: nonce (stream, 0)
    const cipher = createCipheriv('chacha20', this.key, iv);
    if (off > 0) cipher.update(ZEROS.subarray(0, 4 * off));
    this.cipher = cipher;
    return cipher;
  }
}

/** Whether this Node's OpenSSL opens `chacha20` (not every build does) and words are little-endian bytes here. */
function available(): boolean {
  if (!LITTLE_ENDIAN) return false;
  try {
    createCipheriv('chacha20', new Uint8Array(32), new Uint8Array(16));
    return true;
  } catch {
    return false;
  }
}

/**
 * The fastest keystream this Node has: OpenSSL's when available, else the plain TypeScript `Keystream`.
 * @example new SeededRandomSource(seed, { stream: 'noise', keystream: fastKeystream })
 */
export const fastKeystream: KeystreamFactory = available()
  ? (key, stream) => new OpenSslKeystream(key, stream)
  : (key, stream) => new Keystream(key, stream);
