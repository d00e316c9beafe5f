import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run on each package's TypeScript source through the "source" export condition (no build needed).
export default defineConfig({
  resolve: { conditions: ['source', 'import', 'module', 'node', 'default'] },
  ssr: { resolve: { conditions: ['source', 'node', 'default'], externalConditions: ['source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Worker threads started by code under test (the noise prefetch worker) load its TypeScript sources too.
    execArgv: ['--import', fileURLToPath(new URL('./test/setup/worker-ts.mjs', import.meta.url))],
    // One fast-check seed per run, printed; FC_SEED=random or FC_SEED=<n> changes it (test/setup/fast-check-seed.ts).
    globalSetup: ['test/setup/fast-check-global.ts'],
    setupFiles: ['test/setup/fast-check.ts'],
    reporters: ['default'],
  },
});
