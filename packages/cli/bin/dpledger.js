#!/usr/bin/env node
// Checked-in launcher so that npm links the `dpledger` bin before the TypeScript build has run.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('dpledger: not built yet; run `npm run build` at the repository root\n');
  process.exit(1);
}
await import(entry.href);
