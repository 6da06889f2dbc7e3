/**
 * A test-only build with `debugger` as a required permission: Chrome refuses
 * `debugger` as an optional permission ("cannot be optional"; measured on
 * Chromium 156: permissions.request answers "Only permissions specified in the
 * manifest may be requested."), so deep capture can only be tested end to end
 * with the permission granted at install. The shipped manifest does not have it.
 */
import { defineConfig } from 'vite';
import { crx } from '@crxjs/vite-plugin';
import preact from '@preact/preset-vite';
import manifest from '../../../manifest.json' with { type: 'json' };

export default defineConfig({
  plugins: [preact(), crx({ manifest: { ...manifest, permissions: [...manifest.permissions, 'debugger'] } })],
  build: {
    emptyOutDir: true,
    target: 'chrome123',
    sourcemap: false,
    rollupOptions: { input: { panel: 'src/panel/panel.html', faults: 'src/panel/faults/faults.html' } },
  },
  logLevel: 'warn',
});
