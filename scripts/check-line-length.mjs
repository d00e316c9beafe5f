#!/usr/bin/env node
// Fails when a tracked source file outside generated code has a line longer than 120 characters (issue #14,
// "Habits"). Prettier wraps code at 120; this catches what it leaves alone: comments, strings, templates.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 120;
const CHECKED = /\.(ts|mts|cts|js|mjs|cjs|py|sh|yaml|yml)$/;
const EXEMPT = [/(^|\/)generated\//, /(^|\/)dist\//, /^\.ci\/vendor\//];

const files = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' })
  .split('\0')
  .filter((f) => CHECKED.test(f) && !EXEMPT.some((re) => re.test(f)));
const long = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // deleted in the working tree but still in the index
  }
  text.split('\n').forEach((line, i) => {
    if ([...line].length > MAX) long.push(`${file}:${i + 1}: ${[...line].length} characters`);
  });
}
if (long.length > 0) {
  console.error(`${long.length} line(s) longer than ${MAX} characters:\n${long.join('\n')}`);
  process.exit(1);
}
console.log(`line length: ${files.length} files, none over ${MAX} characters`);
