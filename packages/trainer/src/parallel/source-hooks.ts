/**
 * Module loader hooks (node:module register) for a shard worker started from the TypeScript sources (under vitest,
 * which transpiles only its own thread): a relative `./x.js` import of a .ts file resolves to `./x.ts`, and .ts
 * files are transpiled with the typescript package's transpileModule (the repo sets isolatedModules and
 * verbatimModuleSyntax, so per-file transpiling is exact). A built package (dist/*.js) never uses them.
 */
export const TS_SOURCE_HOOKS = String.raw`
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
let ts = null;
let typescriptUrl = '';
export function initialize(data) { typescriptUrl = data.typescript; }
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? '';
  if (parent.startsWith('file:') && parent.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const url = new URL(specifier, parent);
    if (!existsSync(fileURLToPath(url))) return { url: url.href.slice(0, -3) + '.ts', shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!(url.startsWith('file:') && url.endsWith('.ts'))) return next(url, context);
  ts ??= (await import(typescriptUrl)).default;
  const path = fileURLToPath(url);
  const out = ts.transpileModule(await readFile(path, 'utf8'), {
    fileName: path,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      sourceMap: false,
    },
  });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
`;

/**
 * The worker's first script (eval'd, CommonJS): registers the hooks when running from source, then imports the entry.
 */
export const SHARD_BOOT_SOURCE = String.raw`
'use strict';
const { workerData } = require('node:worker_threads');
if (workerData.hooks) {
  require('node:module').register('data:text/javascript,' + encodeURIComponent(workerData.hooks.source), {
    data: { typescript: workerData.hooks.typescript },
  });
}
import(workerData.entry).catch((e) => {
  require('node:worker_threads').parentPort.postMessage({
    id: null,
    error: { code: 'worker_error', message: String(e && e.message || e) },
  });
});
`;
