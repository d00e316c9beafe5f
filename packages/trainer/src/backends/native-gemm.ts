/**
 * The trainer's optional native float32 GEMM (`native/gemm.cc`, an N-API addon built by `npm install` with
 * node-gyp): AVX-512 or AVX2 register-tiled products on tensors that stay in tfjs-backend-wasm's heap. Under Node,
 * `useBackend('wasm')` loads it and the wasm BatchMatMul kernel (batch-mat-mul.ts) runs its products through it;
 * where it is not built, cannot load, finds neither instruction set, or `DPLEDGER_NATIVE=0` is set, tfjs's own
 * XNNPACK kernel runs as before. Browsers never load it.
 */

/** The addon's exports (gemm.cc). */
export interface NativeGemm {
  /** The instruction set its kernel uses. */
  readonly kernel: 'avx512' | 'avx2';
  /**
   * C = op(A) op(B) for `max(batchA, batchB)` matrices on `memory` (byte offsets): A is [batchA, m, k] ([batchA, k, m]
   * with transposeA), B is [batchB, k, n] ([batchB, n, k] with transposeB), C is [batch, m, n]; a batch of 1 is
   * broadcast. Throws a RangeError (code ERR_DPLEDGER_NATIVE) and writes nothing when an operand lies outside memory.
   */
  gemm(
    memory: ArrayBuffer,
    aByte: number,
    bByte: number,
    cByte: number,
    batchA: number,
    batchB: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
  ): void;
  /**
   * out = x * scale + z * zFactor over z.length floats of `memory` (x and out at byte offsets), in float32 with one
   * rounding per op as tfjs's Multiply and Add (zFactor 1 skips its product). Throws and writes nothing when an
   * operand lies outside memory.
   */
  addNoise(memory: ArrayBuffer, xByte: number, outByte: number, z: Float32Array, scale: number, zFactor: number): void;
  /**
   * out[i] = sum_j x[i, j]^2 for a row-major [rows, cols] float32 x on `memory` (heap-ops.cc: sixteen running sums per
   * row, the same order on every machine). Throws and writes nothing when an operand lies outside memory.
   */
  rowSqNorms(memory: ArrayBuffer, xByte: number, outByte: number, rows: number, cols: number): void;
  /** out[i, j] = x[i, j] * c[i] in float32 (tfjs's Multiply by c as a column); out may be x. Bounds as above. */
  scaleRows(memory: ArrayBuffer, xByte: number, cByte: number, outByte: number, rows: number, cols: number): void;
  /** outW = w - g * lr over n floats, float32 ops as the tensor ops (src/training/optimizer.ts). Bounds as above. */
  sgdStep(memory: ArrayBuffer, wByte: number, gByte: number, outWByte: number, n: number, lr: number): void;
  /** outV = v * mu + g, outW = w - outV * lr over n floats (heavy-ball momentum), float32 ops. Bounds as above. */
  momentumStep(
    memory: ArrayBuffer,
    wByte: number,
    gByte: number,
    vByte: number,
    outWByte: number,
    outVByte: number,
    n: number,
    lr: number,
    mu: number,
  ): void;
}

/** The addon's functions; one missing means a build from before it was added. */
const FUNCTIONS = ['gemm', 'addNoise', 'rowSqNorms', 'scaleRows', 'sgdStep', 'momentumStep'] as const;

let loaded: NativeGemm | null = null;
let tried = false;
let whyNot = 'not loaded yet (useBackend loads it)';

/**
 * The addon's path relative to a module two levels under the package (src/backends, src/training or their dist
 * twins): every loader of the addon uses it.
 */
export const NATIVE_ADDON = '../../native/build/Release/dpledger_native.node';

/** Whether the user turned the addon off (`DPLEDGER_NATIVE=0`); only asked under Node. */
export const nativeOff = (): boolean => process.env['DPLEDGER_NATIVE'] === '0';

/**
 * Loads the native GEMM once (later calls return the first answer): null in a browser, with `DPLEDGER_NATIVE=0`,
 * or where the addon is missing or unusable; `nativeGemmStatus()` then says why.
 * @example const g = await loadNativeGemm(); console.log(g?.kernel ?? nativeGemmStatus());
 */
export async function loadNativeGemm(): Promise<NativeGemm | null> {
  if (tried) return loaded;
  tried = true;
  if (typeof process === 'undefined' || process.versions?.node === undefined) {
    whyNot = 'not in Node';
    return null;
  }
  if (nativeOff()) {
    whyNot = 'off (DPLEDGER_NATIVE=0)';
    return null;
  }
  try {
    const nodeModule = 'node:module';
    const { createRequire } = (await import(/* @vite-ignore */ nodeModule)) as typeof import('node:module');
    const addon = createRequire(import.meta.url)(NATIVE_ADDON) as Record<string, unknown>;
    if (addon['kernel'] !== 'avx512' && addon['kernel'] !== 'avx2') {
      whyNot = 'this CPU has neither AVX-512 nor AVX2 with FMA';
      return null;
    }
    const missing = FUNCTIONS.filter((f) => typeof addon[f] !== 'function');
    if (missing.length > 0) {
      whyNot = `built by an older version (no ${missing.join(', ')}); npm rebuild @dpledger/trainer rebuilds it`;
      return null;
    }
    loaded = addon as unknown as NativeGemm;
    whyNot = '';
  } catch (e) {
    const first = (e as Error).message.split('\n')[0];
    whyNot = `not built or not loadable (${first}); npm rebuild @dpledger/trainer builds it`;
  }
  return loaded;
}

/** Test-only switch (not exported from the package): `off` makes `nativeGemm()` answer null, the wasm path. */
export const nativeGemmSwitch = { off: false };

/** The loaded native GEMM, or null (before `loadNativeGemm`, or where it is unavailable). */
export function nativeGemm(): NativeGemm | null {
  return nativeGemmSwitch.off ? null : loaded;
}

/** One line for logs: the kernel in use, or why tfjs's own wasm matmul runs. */
export function nativeGemmStatus(): string {
  return loaded ? `native ${loaded.kernel} GEMM` : `wasm XNNPACK GEMM (native GEMM ${whyNot})`;
}
