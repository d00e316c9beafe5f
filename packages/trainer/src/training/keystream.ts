/**
 * Random access into a ChaCha20 keystream as 32-bit words: word w of stream s is word (w mod 16) of block
 * floor(w / 16) under nonce (s, 0). Under Node it runs on node:crypto's `chacha20` cipher (OpenSSL) over zeros;
 * elsewhere, or on a big-endian machine, on the plain TypeScript block function (chacha20.ts). randomness.test.ts
 * pins both to the RFC 8439 test vectors and to each other.
 */
import { chacha20Blocks, keyWords } from './chacha20.js';

type NodeCrypto = typeof import('node:crypto');

/** Which implementation produces the words: the same words either way. */
export type KeystreamBackend = 'node' | 'pure';

const littleEndian = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
const nodeCrypto: NodeCrypto | null = (() => {
  try {
    // a synchronous import that keeps the package loadable in browsers (process.getBuiltinModule: Node >= 20.16)
    const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    return (p?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined) ?? null;
  } catch {
    return null;
  }
})();

/** The backend used when none is asked for. */
export const DEFAULT_KEYSTREAM_BACKEND: KeystreamBackend = nodeCrypto && littleEndian ? 'node' : 'pure';

const SLICE_BYTES = 65536;
const TWO_POW_32 = 4294967296;
const ZEROS = new Uint8Array(SLICE_BYTES);

/**
 * One keyed ChaCha20 stream: `words(start, out)` writes its words start .. start + out.length - 1 into `out`.
 * @example new Keystream(key, 1).words(0, new Uint32Array(16)) // block 0 of stream 1
 */
export class Keystream {
  private readonly keyW: Uint32Array;
  private readonly block = new Uint32Array(16);

  constructor(private readonly key: Uint8Array, readonly stream: number, readonly backend: KeystreamBackend = DEFAULT_KEYSTREAM_BACKEND) {
    if (key.length !== 32) throw new RangeError('a ChaCha20 key has 32 bytes');
    if (!(Number.isInteger(stream) && stream >= 0 && stream < 4294967296)) throw new RangeError('a stream id is a 32-bit unsigned integer');
    if (backend === 'node' && !(nodeCrypto && littleEndian)) throw new RangeError('node:crypto keystream unavailable here');
    this.keyW = keyWords(key);
  }

  /** Writes keystream words [start, start + out.length) into `out` and returns it. */
  words(start: number, out: Uint32Array): Uint32Array {
    if (!(Number.isSafeInteger(start) && start >= 0)) throw new RangeError(`bad keystream position ${start}`);
    return this.backend === 'node' ? this.nodeWords(start, out) : this.pureWords(start, out);
  }

  private nodeWords(start: number, out: Uint32Array): Uint32Array {
    const off = start % 16;
    const iv = new Uint8Array(16); // OpenSSL's chacha20 IV: counter (words 12, 13) then nonce (words 14, 15), little-endian
    const dv = new DataView(iv.buffer);
    const block = (start - off) / 16;
    dv.setUint32(0, block % TWO_POW_32, true);
    dv.setUint32(4, Math.floor(block / TWO_POW_32), true);
    dv.setUint32(8, this.stream, true);
    const cipher = nodeCrypto!.createCipheriv('chacha20', this.key, iv);
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    let skip = 4 * off; // the words of the first block before `start`
    for (let written = 0; written < bytes.length; ) {
      const ks = cipher.update(ZEROS.subarray(0, Math.min(SLICE_BYTES, skip + bytes.length - written)));
      bytes.set(ks.subarray(skip), written);
      written += ks.length - skip;
      skip = 0;
    }
    return out;
  }

  private pureWords(start: number, out: Uint32Array): Uint32Array {
    let i = 0;
    let pos = start;
    while (i < out.length) {
      const off = pos % 16;
      const whole = Math.floor((out.length - i) / 16);
      if (off === 0 && whole > 0) {
        chacha20Blocks(this.keyW, (pos / 16) % TWO_POW_32, Math.floor(pos / 16 / TWO_POW_32), this.stream, 0, out, i, whole);
        i += 16 * whole;
        pos += 16 * whole;
      } else {
        const block = (pos - off) / 16;
        chacha20Blocks(this.keyW, block % TWO_POW_32, Math.floor(block / TWO_POW_32), this.stream, 0, this.block, 0, 1);
        const take = Math.min(16 - off, out.length - i);
        out.set(this.block.subarray(off, off + take), i);
        i += take;
        pos += take;
      }
    }
    return out;
  }
}
