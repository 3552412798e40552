import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console's browser app (issue 22): Preact, built to static files beside the compiled
// server (dist/apps/console/web), which serves them. Nothing is fetched from elsewhere at
// run time: no CDN, no web fonts; the build inlines nothing it would have to load later.
const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: `${here}../../../dist/apps/console/web`,
    emptyOutDir: true,
    assetsDir: 'assets',
    // Small, CSP-friendly output: no inline script, no data: URLs for assets.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
});
