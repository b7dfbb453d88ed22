/**
 * Builds the web console into static files (console/dist): `npm run build`. Preact's JSX through
 * Vite's own transform (no Babel preset), hashed file names, no inline script or style (the
 * Content-Security-Policy allows neither), and a size budget the build enforces.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { bundleBudget } from './size-budget.ts';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: the same files work at the root of the local runtime and of CloudFront.
  base: './',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill would be an inline script (the CSP refuses it); every supported browser has modulepreload.
    modulePreload: { polyfill: false },
    // Never inline assets as data: URLs into scripts or styles.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    sourcemap: false,
  },
  plugins: [bundleBudget()],
});
