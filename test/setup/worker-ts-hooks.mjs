/**
 * Node module customization hooks (https://nodejs.org/api/module.html#customization-hooks) that let a
 * node:worker_threads Worker started by code under test run the TypeScript sources: vitest runs `src/` without a
 * build, so an entry such as `new URL('./noise-worker.js', import.meta.url)` names a `.js` file that exists only in
 * `dist/`. A relative `.js` specifier that is missing resolves to its `.ts` sibling, and a `.ts` file is loaded as
 * an ES module with its types stripped (oxc, through rolldown's `transformSync`); everything else is untouched.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let transformer; // rolldown's oxc transform, loaded on the first .ts file (most workers never load one)

/** Resolves a missing `x.js` to an existing `x.ts` beside it. */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (!specifier.endsWith('.js')) throw err;
    const ts = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
    if (ts.protocol !== 'file:' || !existsSync(fileURLToPath(ts))) throw err;
    return { url: ts.href, format: 'module', shortCircuit: true };
  }
}

/** Loads a `.ts` file as an ES module with its types stripped. */
export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  transformer ??= import('rolldown/utils');
  const { transformSync } = await transformer;
  const out = transformSync(file, readFileSync(file, 'utf8'), { lang: 'ts', sourceType: 'module' });
  if (out.errors.length > 0) throw new Error(`${file}: ${out.errors.map((e) => e.message).join('; ')}`);
  return { format: 'module', source: out.code, shortCircuit: true };
}
