// The modules of @dpledger/trainer import one another without a cycle (issue 14): every relative import, type-only
// and dynamic ones included, of every source file under src/ (tests, fixtures and benchmarks excluded, since nothing
// imports them).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));
const SKIP = /\.(test|fixture|bench)\.ts$/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') && !SKIP.test(name) ? [path] : [];
  });
}

/** Relative specifiers of `import`/`export ... from`, side-effect imports and `import('...')`, comments removed. */
function relativeImports(code: string): string[] {
  const bare = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const found = [...bare.matchAll(/\bfrom\s*['"](\.[^'"]+)['"]|\bimport\s*\(?\s*['"](\.[^'"]+)['"]/g)];
  return found.map((m) => (m[1] ?? m[2])!);
}

function resolveImport(from: string, spec: string): string {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // next candidate
    }
  }
  throw new Error(`${relative(SRC, from)}: cannot resolve '${spec}'`);
}

/** One cycle of the graph as a path of files (first = last), or null (depth-first search, three colours). */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    if (state.has(node)) continue;
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

describe('import graph of @dpledger/trainer', () => {
  it('has no cycle among its modules', () => {
    const files = sources(SRC);
    expect(files.length).toBeGreaterThan(50);
    const graph = new Map(files.map((f) => [f, relativeImports(readFileSync(f, 'utf8')).map((s) => resolveImport(f, s))]));
    expect(graph.get(join(SRC, 'training', 'dp-trainer.ts'))).toContain(join(SRC, 'training', 'checkpoint.ts')); // dynamic imports count
    const cycle = findCycle(graph);
    expect(cycle?.map((f) => relative(SRC, f)).join(' -> ') ?? null).toBeNull();
  });

  it('the checker sees static, type-only, re-export and dynamic imports, and finds a cycle', () => {
    const code = `import a from './a.js';\nimport type { B } from "./b.js";\nexport * from './c.js';\nimport './d.js';\nconst e = await import('./e.js');\n// import x from './commented.js'\nimport z from 'zod';`;
    expect(relativeImports(code)).toEqual(['./a.js', './b.js', './c.js', './d.js', './e.js']);
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toBeNull();
  });
});
