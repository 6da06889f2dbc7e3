import { defineConfig } from 'vite';
import { resolve } from 'node:path';

// Demo pages (demo/pages/*.html, importing src/client) built to demo/dist, which the demo
// server serves. The server runs this build itself when demo/dist is missing or stale.
const root = resolve(import.meta.dirname, 'demo/pages');

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: resolve(import.meta.dirname, 'demo/dist'),
    emptyOutDir: true,
    target: 'chrome110',
    sourcemap: true,
    rollupOptions: {
      input: {
        chat: resolve(root, 'chat.html'),
        naive: resolve(root, 'naive.html'),
        fetch: resolve(root, 'fetch.html'),
      },
    },
  },
});
