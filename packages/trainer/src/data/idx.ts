/**
 * IDX files (LeCun et al., "The MNIST database", file format section): a 4-byte magic (0, 0, type code, number of
 * dimensions), one big-endian uint32 per dimension, then the data in row-major order. MNIST and Fashion-MNIST use
 * type code 0x08 (unsigned byte) only; other types are refused.
 */
import { gunzipSync } from 'node:zlib';
import { fail } from '../training/fail.js';

/** A decoded unsigned-byte IDX array. */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/**
 * True when `bytes` start with the gzip magic (RFC 1952, section 2.3.1: ID1 = 31, ID2 = 139).
 * @example isGzip(Uint8Array.of(0x1f, 0x8b, 8)) // true
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decodes an IDX file's bytes (gzipped or raw).
 * @example parseIdx(readFileSync('train-labels-idx1-ubyte.gz')).shape // [60000]
 */
export function parseIdx(raw: Uint8Array, name = 'IDX data'): IdxArray {
  const bytes = isGzip(raw) ? new Uint8Array(gunzipSync(raw)) : raw;
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) fail('bad_input', `${name}: not an IDX file (bad magic)`);
  if (bytes[2] !== UBYTE)
    fail('bad_input', `${name}: IDX type 0x${bytes[2]!.toString(16)} is not supported (only unsigned byte, 0x08)`);
  const dims = bytes[3]!;
  if (dims < 1 || bytes.length < 4 + 4 * dims) fail('bad_input', `${name}: truncated IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * dims;
  if (bytes.length !== start + size)
    fail('bad_input', `${name}: header says ${size} bytes of data, file has ${bytes.length - start}`);
  return { shape, data: bytes.subarray(start) };
}
