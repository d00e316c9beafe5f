// Compiles each src/backends/simd/*.wat (WebAssembly text, SIMD) with wabt and writes <name>.wasm.ts beside it: the
// module's bytes as base64, so the package needs no compiler at run time. `--check` compiles and compares instead
// (exit 1 when a .wasm.ts is stale). Run: npm run gen:wasm -w @dpledger/trainer
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const dir = fileURLToPath(new URL('../src/backends/simd/', import.meta.url));
const check = process.argv.includes('--check');

/** The .wasm.ts text for one .wat source. */
export async function compiled(watFile) {
  const wabt = await wabtInit();
  const mod = wabt.parseWat(watFile, readFileSync(join(dir, watFile), 'utf8'), { simd: true });
  mod.validate();
  const { buffer } = mod.toBinary({});
  mod.destroy();
  const b64 = Buffer.from(buffer).toString('base64');
  const lines = b64.match(/.{1,100}/g) ?? [];
  return (
    `// Generated from ${watFile} by scripts/gen-wasm.mjs (wabt): edit the .wat, then npm run gen:wasm.\n` +
    `export const WASM_BASE64 =\n${lines.map((l) => `  '${l}'`).join(' +\n')};\n`
  );
}

let stale = 0;
for (const wat of readdirSync(dir).filter((f) => f.endsWith('.wat'))) {
  const target = join(dir, wat.replace(/\.wat$/, '.wasm.ts'));
  const text = await compiled(wat);
  if (check) {
    let old = '';
    try {
      old = readFileSync(target, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (old !== text) {
      console.error(`${target} is stale: run npm run gen:wasm -w @dpledger/trainer`);
      stale++;
    }
  } else writeFileSync(target, text);
}
process.exit(stale ? 1 : 0);
