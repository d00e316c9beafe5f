/**
 * The noise worker's native helpers (native/noise.cc in the trainer's addon; Node only, like the worker): the seeded
 * run's ChaCha20 keystream and the ziggurat's fast accept step, each giving bit for bit what the TypeScript gives
 * (keystream.ts, gaussian-noise.ts; pinned by native-noise.test.ts). Both are null where the addon is not built or
 * `DPLEDGER_NATIVE=0` is set: the worker then reads OpenSSL's keystream and runs the JavaScript step.
 */
import { createRequire } from 'node:module';
import { NATIVE_ADDON, nativeOff } from '../backends/native-gemm.js';
import { keyWords } from './chacha20.js';
import { withTables, type ChunkAccept, type TabledAccept } from './gaussian-noise.js';
import { checkKeystreamArgs, checkKeystreamPosition, type KeystreamFactory, type KeystreamWords } from './keystream.js';

/** The addon's noise exports (noise.cc). */
interface NoiseAddon {
  chacha20(key: Uint32Array, stream: number, start: number, out: Uint32Array): void;
  zigguratAccept: TabledAccept;
}

function load(): NoiseAddon | null {
  if (nativeOff()) return null;
  try {
    return createRequire(import.meta.url)(NATIVE_ADDON) as NoiseAddon; // this module is two levels down too
  } catch {
    return null; // not built here
  }
}
const addon = load();

/**
 * One keyed ChaCha20 stream computed natively (16 blocks per AVX-512 pass); `words` gives exactly `Keystream.words`.
 * @example nativeKeystream?.(new Uint8Array(32), 1).words(5, new Uint32Array(40)) // words 5..44 of stream 1
 */
export class NativeKeystream implements KeystreamWords {
  private readonly key: Uint32Array;

  constructor(
    key: Uint8Array,
    readonly stream: number,
    private readonly native: NoiseAddon,
  ) {
    checkKeystreamArgs(key, stream);
    this.key = keyWords(key);
  }

  /** Writes keystream words [start, start + out.length) into `out` and returns it. */
  words(start: number, out: Uint32Array): Uint32Array {
    checkKeystreamPosition(start);
    this.native.chacha20(this.key, this.stream, start, out);
    return out;
  }
}

/** The native keystream's factory, or null without the addon. */
export const nativeKeystream: KeystreamFactory | null = addon
  ? (key, stream) => new NativeKeystream(key, stream, addon)
  : null;

/** The native ziggurat accept step for `fillGaussian`, or null without the addon. */
export const nativeAccept: ChunkAccept | null = addon ? withTables((...a) => addon.zigguratAccept(...a)) : null;
