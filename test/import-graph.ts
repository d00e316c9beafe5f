/**
 * The workspace's import graphs, read from the files themselves: packages (package.json dependencies and tsconfig
 * references) and modules (the import, export-from and import() specifiers of each TypeScript source file, parsed
 * with the TypeScript compiler). Used by import-graph.test.ts to prove both graphs acyclic.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const ROOT = resolve(import.meta.dirname, '..');

export interface WorkspacePackage {
  name: string;
  dir: string;
  dependencies: string[];
  devDependencies: string[];
  references: string[];
}

const readJson = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

/** Every workspace of the root package.json, with its @dpledger dependencies and tsconfig project references. */
export function workspacePackages(): WorkspacePackage[] {
  const dirs = readJson(join(ROOT, 'package.json'))['workspaces'] as string[];
  return dirs.map((dir) => {
    const pkg = readJson(join(ROOT, dir, 'package.json'));
    const ours = (deps: unknown) => Object.keys((deps ?? {}) as object).filter((d) => d.startsWith('@dpledger/'));
    // tsconfig.json allows comments and trailing commas; the TypeScript parser reads it as tsc does.
    const config = ts.readConfigFile(join(ROOT, dir, 'tsconfig.json'), ts.sys.readFile).config as {
      references?: { path: string }[];
    };
    return {
      name: pkg['name'] as string,
      dir,
      dependencies: ours(pkg['dependencies']),
      devDependencies: ours(pkg['devDependencies']),
      references: (config.references ?? []).map((r) => relative(ROOT, resolve(ROOT, dir, r.path))),
    };
  });
}

/** One import of a module: the specifier as written, and whether it is erased at compile time (`import type`). */
export interface ImportRef {
  specifier: string;
  typeOnly: boolean;
}

const parsed = new Map<string, ImportRef[]>();

/** `import { type A, type B }`: every named binding is a type, so the import is erased. */
const allTypeOnly = (named: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier> | undefined): boolean =>
  named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly);

const isDynamicImport = (node: ts.Node): node is ts.CallExpression & { arguments: [ts.StringLiteral] } =>
  ts.isCallExpression(node) &&
  node.expression.kind === ts.SyntaxKind.ImportKeyword &&
  node.arguments[0] !== undefined &&
  ts.isStringLiteral(node.arguments[0]);

/** The import, export-from and dynamic import() specifiers of a TypeScript file (parsed once per file). */
export function importsOf(file: string): ImportRef[] {
  const known = parsed.get(file);
  if (known !== undefined) return known;
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const refs: ImportRef[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const bindings = c?.namedBindings;
      const named = bindings !== undefined && ts.isNamedImports(bindings) ? bindings.elements : undefined;
      const typeOnly = c !== undefined && (c.isTypeOnly || (c.name === undefined && allTypeOnly(named)));
      refs.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const named = clause !== undefined && ts.isNamedExports(clause) ? clause.elements : undefined;
      refs.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly || allTypeOnly(named) });
    } else if (isDynamicImport(node)) {
      refs.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  parsed.set(file, refs);
  return refs;
}

/** All .ts files under `dir`, recursively, skipping dist and node_modules. */
export function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'dist' || e.name === 'node_modules' ? [] : tsFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The .ts file a relative specifier names (NodeNext: './x.js' is './x.ts'), or undefined when none exists. */
export function resolveRelative(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && c.endsWith('.ts'));
}

/**
 * The strongly connected components of a directed graph with more than one node or a self-loop: its cycles
 * (Tarjan 1972, "Depth-first search and linear graph algorithms", SIAM J. Comput. 1(2)).
 * @example cycles(new Map([['a', ['b']], ['b', ['a']]])) // [['a', 'b']]
 */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return found;
}

/**
 * The module graph of one package's source (tests and benchmarks excluded): an edge for each relative import,
 * and for an import of the package's own public name (which resolves to src/index.ts). Paths are repo-relative.
 */
export function moduleGraph(pkg: WorkspacePackage, opts: { typeImports: boolean }): Map<string, string[]> {
  const src = join(ROOT, pkg.dir, 'src');
  const files = new Set(tsFiles(src).filter((f) => !/\.(test|bench|fixture)\.ts$/.test(f)));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = importsOf(file)
      .filter((r) => opts.typeImports || !r.typeOnly)
      .map((r) => (r.specifier === pkg.name ? join(src, 'index.ts') : resolveRelative(file, r.specifier)))
      .filter((t): t is string => t !== undefined && files.has(t));
    graph.set(relative(ROOT, file), [...new Set(targets.map((t) => relative(ROOT, t)))]);
  }
  return graph;
}
