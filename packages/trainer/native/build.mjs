// `npm install` of @dpledger/trainer runs this: it builds the native addon (gemm.cc, noise.cc, heap-ops.cc;
// binding.gyp) with the node-gyp npm bundles, against the Node headers npm is configured with. It never fails the
// install: without the addon the trainer runs tfjs-backend-wasm's own matMul and the JavaScript noise
// (src/backends/native-gemm.ts). DPLEDGER_NATIVE=0 skips the build. By hand: npm run build:native -w @dpledger/trainer
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (process.env.DPLEDGER_NATIVE === '0') {
  console.log('@dpledger/trainer: native addon not built (DPLEDGER_NATIVE=0)');
  process.exit(0);
}
// npm sets npm_config_node_gyp to its bundled node-gyp in lifecycle scripts; else look beside this npm
const bundled = join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
const gyp = process.env.npm_config_node_gyp ?? (existsSync(bundled) ? bundled : null);
// headers: npm passes its nodedir setting on (npm_config_nodedir); run by hand, this Node's own, where installed
const prefix = join(dirname(process.execPath), '..');
const args = ['rebuild'];
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include/node/node.h')))
  args.push(`--nodedir=${prefix}`);
const r = gyp
  ? spawnSync(process.execPath, [gyp, ...args], { cwd: here, encoding: 'utf8' })
  : spawnSync('node-gyp', args, { cwd: here, encoding: 'utf8' });
if (r.status === 0) {
  console.log('@dpledger/trainer: native addon built (native/build/Release/dpledger_native.node)');
} else {
  const why = (r.error?.message ?? `${r.stderr ?? ''}${r.stdout ?? ''}`).trim().split('\n').slice(-8).join('\n');
  console.warn(
    "@dpledger/trainer: the native addon was not built; tfjs's wasm matMul and the JavaScript noise run " +
      `instead.\n${why}`,
  );
}
