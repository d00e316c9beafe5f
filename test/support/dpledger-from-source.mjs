#!/usr/bin/env node
// `dpledger` run from the TypeScript sources, for end-to-end tests that need a separate process (a server to kill, a
// CLI's exit code). Vite's SSR module runner loads vitest.config.ts, so packages resolve through the same "source"
// export condition as in the unit tests: e2e tests run the code the unit tests run, never a stale dist/.
import { createServer, createServerModuleRunner } from 'vite';

const root = new URL('../../', import.meta.url);
const server = await createServer({
  configFile: new URL('vitest.config.ts', root).pathname,
  logLevel: 'silent',
  appType: 'custom',
  server: { middlewareMode: true, hmr: false, ws: false, watch: null },
  optimizeDeps: { noDiscovery: true, include: [] },
  // vitest imports external packages through Node itself, which picks their "node" export (pdfkit's differs)
  ssr: { resolve: { externalConditions: ['node'] } },
});
const runner = createServerModuleRunner(server.environments.ssr, { hmr: false });
await runner.import(new URL('packages/cli/src/bin.ts', root).pathname);
await runner.close();
await server.close();
