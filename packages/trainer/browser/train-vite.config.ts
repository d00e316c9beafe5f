import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * Bundle of the accountant's `/train` page (train-page.ts): one ES module with tfjs, the trainer and the client
 * inside, no CDN. `npm run build:train` writes it to train-dist/, where the accountant serves it from.
 */
export default defineConfig({
  logLevel: 'warn',
  resolve: { conditions: ['source'] },
  build: {
    outDir: fileURLToPath(new URL('./train-dist', import.meta.url)),
    emptyOutDir: true,
    minify: false,
    sourcemap: false,
    reportCompressedSize: false,
    lib: {
      entry: fileURLToPath(new URL('./train-page.ts', import.meta.url)),
      formats: ['es'],
      fileName: () => 'train.js',
    },
  },
});
