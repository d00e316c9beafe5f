/**
 * The SIMD MaxPoolGrad of max-pool-grad-2x2.wat, instantiated on tfjs-backend-wasm's own memory (imported: it reads
 * and writes the tensors where they lie). Null where WebAssembly SIMD is missing, the backend's memory is not
 * reachable or cannot be imported (the threaded build's shared memory); the caller then keeps to its scalar loop.
 */
import { WASM_BASE64 } from './max-pool-grad-2x2.wasm.js';

/** The kernel: byte offsets of x, dy and dx (zeroed) on the heap, then the NHWC sizes and the strides. */
export type MaxPoolGrad2x2 = (
  x: number,
  dy: number,
  dx: number,
  batch: number,
  inH: number,
  inW: number,
  channels: number,
  outH: number,
  outW: number,
  strideH: number,
  strideW: number,
) => void;

let compiled: WebAssembly.Module | null | undefined;
const byMemory = new WeakMap<WebAssembly.Memory, MaxPoolGrad2x2 | null>();

function moduleOnce(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      const bytes = Uint8Array.from(atob(WASM_BASE64), (ch) => ch.charCodeAt(0));
      compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null; // no SIMD: invalid here
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * The kernel bound to `memory` (one instance per memory), or null when this platform cannot run it.
 * @example const k = maxPoolGrad2x2On((backend as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory);
 */
export function maxPoolGrad2x2On(memory: WebAssembly.Memory | undefined): MaxPoolGrad2x2 | null {
  if (!(memory instanceof WebAssembly.Memory)) return null;
  const known = byMemory.get(memory);
  if (known !== undefined) return known;
  const mod = moduleOnce();
  if (mod === null) return null;
  let fn: MaxPoolGrad2x2 | null;
  try {
    fn = new WebAssembly.Instance(mod, { env: { memory } }).exports['maxPoolGrad2x2'] as MaxPoolGrad2x2;
  } catch {
    fn = null; // e.g. the threaded tfjs-wasm build's shared memory, which this module's plain import cannot take
  }
  byMemory.set(memory, fn);
  return fn;
}
