import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** Library build of the webgl harness: one ES module with tfjs inside, no CDN (`npx vite build -c` this file). */
export default defineConfig({
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    minify: false,
    sourcemap: false,
    reportCompressedSize: false,
    lib: {
      entry: fileURLToPath(new URL('./entry.ts', import.meta.url)),
      formats: ['es'],
      fileName: () => 'harness.js',
    },
  },
});
