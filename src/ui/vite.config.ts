/** The web UI's build: `npm run build` writes it to dist/ui, which the server serves at `/`. */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/ui', import.meta.url)),
    emptyOutDir: true,
    // The build report (bench/ui-bundle.ts) reads it to measure the initial JavaScript.
    manifest: true,
    // The SQL page (CodeMirror, ECharts) is one chunk of about 1 MB, loaded only when opened.
    chunkSizeWarningLimit: 1100,
  },
});
