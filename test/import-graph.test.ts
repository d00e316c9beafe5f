/**
 * The import graph has no cycle (issue 14): not between workspace packages (package.json dependencies, which
 * npm links, and tsconfig references, which order `tsc -b`), and not between the modules of any one package
 * (a cycle makes ESM evaluation order matter and lets two files grow into one concept).
 */
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, cycles, importsOf, moduleGraph, tsFiles, workspacePackages } from './import-graph.js';

const packages = workspacePackages();
const byName = new Map(packages.map((p) => [p.name, p]));

/**
 * Module cycles that another change is removing; the list may only shrink: a new cycle fails, and so does a listed
 * one that is gone (delete its entry then).
 */
const KNOWN_MODULE_CYCLES: Record<string, string[][]> = {};

describe('workspace package graph', () => {
  it('is acyclic over dependencies and devDependencies', () => {
    const graph = new Map(packages.map((p) => [p.name, [...p.dependencies, ...p.devDependencies]]));
    expect(cycles(graph)).toEqual([]);
  });

  it('lists the workspaces in a build order: each after every package it depends on', () => {
    const seen = new Set<string>();
    for (const p of packages) {
      expect(
        p.dependencies.filter((d) => !seen.has(d)),
        `${p.name} is listed before its dependencies`,
      ).toEqual([]);
      seen.add(p.name);
    }
  });

  it('has @dpledger/api at the bottom: the wire contract depends on no other package', () => {
    const api = byName.get('@dpledger/api')!;
    expect([...api.dependencies, ...api.devDependencies]).toEqual([]);
  });

  it('gives each package tsconfig references to exactly its workspace dependencies (tsc -b builds them first)', () => {
    for (const p of packages) {
      const expected = p.dependencies.map((d) => byName.get(d)?.dir ?? `unknown package ${d}`).sort();
      expect([...p.references].sort(), p.name).toEqual(expected);
    }
  });

  it('imports only the workspace packages each package declares (tests may use devDependencies too)', () => {
    const undeclared: string[] = [];
    for (const p of packages) {
      for (const file of tsFiles(join(ROOT, p.dir, 'src'))) {
        const isTest = /\.(test|bench|fixture)\.ts$/.test(file);
        const allowed = new Set([p.name, ...p.dependencies, ...(isTest ? p.devDependencies : [])]);
        for (const r of importsOf(file)) {
          const name = /^@dpledger\/[^/]+/.exec(r.specifier)?.[0];
          if (name !== undefined && !allowed.has(name)) undeclared.push(`${relative(ROOT, file)} imports ${name}`);
        }
      }
    }
    expect(undeclared).toEqual([]);
  });
});

describe('module graph of each package', () => {
  const each = packages.map((p) => [p.name, p] as const);
  it.each(each)('%s has no import cycle, type-only imports included', (name, p) => {
    expect(cycles(moduleGraph(p, { typeImports: true }))).toEqual(KNOWN_MODULE_CYCLES[name] ?? []);
  });

  it('finds a cycle where there is one (the checker itself)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c'], ['e']]);
  });
});
