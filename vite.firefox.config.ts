/**
 * The Firefox build: the Chrome build (vite.config.ts) with crxjs in Firefox
 * mode, the manifest derived by build/manifest-firefox.ts, and its own outDir.
 * Same sources, same plugins and inputs; nothing is forked.
 */
import { defineConfig, type PluginOption } from 'vite';
import { crx, type ManifestV3Export } from '@crxjs/vite-plugin';
import manifest from './manifest.json' with { type: 'json' };
import chromeConfig from './vite.config.ts';
import { firefoxManifest, FIREFOX_MIN_VERSION } from './build/manifest-firefox.ts';

/** Every plugin of the Chrome build except crxjs, whose manifest and browser differ here. */
function withoutCrx(plugins: PluginOption[] | undefined): PluginOption[] {
  const out: PluginOption[] = [];
  for (const p of plugins ?? []) {
    if (Array.isArray(p)) out.push(...withoutCrx(p));
    else if (p && typeof p === 'object' && 'name' in p && typeof p.name === 'string' && p.name.startsWith('crx')) continue;
    else out.push(p);
  }
  return out;
}

export default defineConfig({
  ...chromeConfig,
  plugins: [
    ...withoutCrx(chromeConfig.plugins),
    // The derived manifest is structurally what crxjs accepts for Firefox (background.scripts, gecko settings).
    crx({ manifest: firefoxManifest(manifest) as unknown as ManifestV3Export, browser: 'firefox' }),
  ],
  build: {
    ...chromeConfig.build,
    outDir: 'dist-firefox',
    target: `firefox${FIREFOX_MIN_VERSION.split('.')[0]}`,
  },
  server: { ...chromeConfig.server, port: 5174 },
});
