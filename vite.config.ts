import { defineConfig } from 'vite';
import { crx } from '@crxjs/vite-plugin';
import preact from '@preact/preset-vite';
import manifest from './manifest.json' with { type: 'json' };

// The extension build. Both content scripts end in `.iife.ts`, so crxjs emits
// each as one synchronous IIFE that runs at document_start, before the page's
// first script (an async loader would install the wrapper too late).
export default defineConfig({
  plugins: [preact(), crx({ manifest })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'chrome123',
    sourcemap: false,
    rollupOptions: {
      // The panel page is only referenced from devtools.ts via
      // chrome.devtools.panels.create, so Vite must be told to emit it; the
      // faults page is the fault-injection view opened on its own.
      input: { panel: 'src/panel/panel.html', faults: 'src/panel/faults/faults.html' },
    },
  },
  server: { port: 5173, strictPort: true, hmr: false },
});
