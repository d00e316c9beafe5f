/**
 * Under Node, points tfjs-backend-wasm at the .wasm binaries in its own installed `dist` directory (it would
 * otherwise look beside the calling script). Does nothing in a browser, where the page or bundler sets the paths.
 *
 * @example
 * await configureWasmPathsForNode();
 * await tf.setBackend('wasm');
 */
export async function configureWasmPathsForNode(): Promise<void> {
  if (typeof process === 'undefined' || process.versions?.node === undefined) return;
  const nodeModule = 'node:module';
  const nodePath = 'node:path';
  const { createRequire } = (await import(/* @vite-ignore */ nodeModule)) as typeof import('node:module');
  const { dirname, sep } = (await import(/* @vite-ignore */ nodePath)) as typeof import('node:path');
  const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
  setWasmPaths(dirname(entry) + sep);
}
