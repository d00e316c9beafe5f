/**
 * Finding a WebGPU adapter: the browser's `navigator.gpu`, or in Node Dawn from the optional npm package `webgpu`.
 * A real GPU comes first; a software adapter (SwiftShader, lavapipe) only when the caller allows it.
 */
/** The parts of the WebGPU API the trainer touches (typed here: the DOM lib of TypeScript 5.9 lacks WebGPU). */
export interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
export interface GpuAdapterLike {
  readonly info?: GpuAdapterInfoLike;
  readonly isFallbackAdapter?: boolean;
  readonly features: ReadonlySet<string>;
  readonly limits: Record<string, number>;
  requestDevice(descriptor?: object): Promise<GpuDeviceLike>;
}
export interface GpuLike {
  requestAdapter(options?: object): Promise<GpuAdapterLike | null>;
}
export interface GpuErrorLike {
  readonly message: string;
  readonly constructor: { readonly name: string };
}
export interface GpuDeviceLike extends EventTarget {
  readonly lost: Promise<{ reason?: string; message: string }>;
  readonly limits: Record<string, number>;
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<GpuErrorLike | null>;
  destroy(): void;
}

/** The adapter found, where it came from, and why it was taken. */
export interface FoundAdapter {
  gpu: GpuLike;
  adapter: GpuAdapterLike;
  /** true for a CPU implementation of WebGPU (SwiftShader, lavapipe, llvmpipe, WARP). */
  software: boolean;
  /** e.g. "nvidia ampere (Dawn in Node, Vulkan ICD from the system)". */
  description: string;
}

/** Vulkan drivers that run on the CPU, tried in this order when software is allowed and no GPU answered. */
export const SOFTWARE_VULKAN_ICDS: readonly string[] = [
  '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json', // Mesa lavapipe (Dawn needs Mesa >= 23: Debian 12's 22.3 is refused)
  '/usr/share/vulkan/icd.d/lvp_icd.aarch64.json',
  '/usr/lib/chromium/vk_swiftshader_icd.json', // SwiftShader, shipped with Debian's chromium package
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
];

const SOFTWARE_NAMES = /swiftshader|lavapipe|llvmpipe|software|microsoft basic render|warp/i;

/**
 * Whether an adapter is a CPU implementation: flagged as a fallback adapter or named like one.
 * @example isSoftwareAdapter({ info: { vendor: 'google', architecture: 'swiftshader' } } as GpuAdapterLike) // true
 */
export function isSoftwareAdapter(adapter: Pick<GpuAdapterLike, 'info' | 'isFallbackAdapter'>): boolean {
  const info = adapter.info ?? {};
  if (adapter.isFallbackAdapter === true || info.isFallbackAdapter === true) return true;
  return SOFTWARE_NAMES.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

/** "vendor architecture (description)" with the empty parts left out. */
export function describeAdapter(adapter: Pick<GpuAdapterLike, 'info'>): string {
  const i = adapter.info ?? {};
  const head = [i.vendor, i.architecture].filter((s) => s).join(' ') || 'unnamed adapter';
  return i.description ? `${head} (${i.description})` : head;
}

type DawnModule = { create(options: string[]): GpuLike; globals: Record<string, unknown> };
let dawn: DawnModule | null | undefined;

/**
 * Dawn's Node binding from the optional `webgpu` package, its globals (GPUBufferUsage, ...) installed; null if absent.
 */
export async function loadDawn(): Promise<DawnModule | null> {
  if (dawn !== undefined) return dawn;
  const pkg = 'webgpu'; // a variable: the package is optional, so neither TypeScript nor a bundler resolves it
  try {
    dawn = (await import(/* @vite-ignore */ pkg)) as DawnModule;
    for (const [name, value] of Object.entries(dawn.globals)) {
      if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
    }
  } catch {
    dawn = null;
  }
  return dawn;
}

async function tryAdapter(gpu: GpuLike): Promise<GpuAdapterLike | null> {
  try {
    return await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    return null;
  }
}

/**
 * The best WebGPU adapter here: the browser's, else Dawn's with the system's Vulkan drivers, else (only with
 * `allowSoftware`) Dawn on a software Vulkan driver found on disk (lavapipe, then SwiftShader). null when none.
 * @example const found = await findAdapter({ allowSoftware: true }); // SwiftShader on a CPU-only Debian with chromium
 */
export async function findAdapter(opts: {
  allowSoftware: boolean;
}): Promise<{ found: FoundAdapter | null; reason: string }> {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  if (nav?.gpu && !isDawnGpu(nav.gpu)) {
    const adapter = await tryAdapter(nav.gpu);
    if (!adapter) return { found: null, reason: 'navigator.gpu gave no adapter' };
    const software = isSoftwareAdapter(adapter);
    if (software && !opts.allowSoftware)
      return { found: null, reason: `only a software adapter (${describeAdapter(adapter)})` };
    return {
      found: { gpu: nav.gpu, adapter, software, description: `${describeAdapter(adapter)} (navigator.gpu)` },
      reason: '',
    };
  }
  const d = await loadDawn();
  if (!d) return { found: null, reason: "the optional package 'webgpu' (Dawn for Node) is not installed" };
  const gpu = d.create([]);
  dawnGpus.add(gpu);
  const adapter = await tryAdapter(gpu);
  const system = adapter ? describeAdapter(adapter) : null;
  if (adapter && !isSoftwareAdapter(adapter)) {
    return { found: { gpu, adapter, software: false, description: `${system} (Dawn in Node)` }, reason: '' };
  }
  if (!opts.allowSoftware) {
    return {
      found: null,
      reason: system ? `only a software adapter (${system})` : 'Dawn found no GPU adapter (no Vulkan driver for a GPU)',
    };
  }
  if (adapter) return { found: { gpu, adapter, software: true, description: `${system} (Dawn in Node)` }, reason: '' };
  const userSet = process.env.VK_ICD_FILENAMES;
  const nodeFs = 'node:fs'; // Node only, and hidden from bundlers: this module stays browser-safe
  const { existsSync } = (await import(/* @vite-ignore */ nodeFs)) as typeof import('node:fs');
  for (const icd of SOFTWARE_VULKAN_ICDS) {
    if (userSet !== undefined || !existsSync(icd)) continue;
    process.env.VK_ICD_FILENAMES = icd; // read by the Vulkan loader when Dawn creates its next instance
    const soft = d.create([]);
    dawnGpus.add(soft);
    const a = await tryAdapter(soft);
    if (a)
      return {
        found: { gpu: soft, adapter: a, software: true, description: `${describeAdapter(a)} (Dawn in Node, ${icd})` },
        reason: '',
      };
    delete process.env.VK_ICD_FILENAMES;
  }
  return {
    found: null,
    reason:
      'Dawn found no adapter, not even a software Vulkan driver (install chromium for SwiftShader, and libvulkan1)',
  };
}

const dawnGpus = new WeakSet<object>();
function isDawnGpu(gpu: GpuLike): boolean {
  return dawnGpus.has(gpu);
}
