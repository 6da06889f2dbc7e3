/**
 * The Firefox manifest, derived from the one manifest.json (never a copy of it).
 *
 * Differences, and only these:
 * - background: Firefox MV3 has no extension service worker; it runs the same
 *   entry as an event page (`background.scripts`). crxjs (browser: 'firefox')
 *   then swaps the entry for its module loader (`scripts: [loader], type: module`).
 * - browser_specific_settings.gecko: an add-on id (storage.sync and a stable
 *   identity need one), the oldest Firefox we support, and the built-in
 *   data-collection declaration: the add-on collects and sends nothing.
 * - minimum_chrome_version: Chrome-only, dropped.
 * Everything else (content scripts with the MAIN world at document_start,
 * permissions, host permissions, CSP, devtools page) is passed through as is.
 */

/** The add-on id. Keep it stable: Firefox keys storage and granted permissions by it. */
export const GECKO_ID = 'sse-connections@sse-connections.dev';

/**
 * 128 is the first Firefox with `world: "MAIN"` content scripts; 142 is the
 * first (desktop and Android) that reads `data_collection_permissions`, and
 * `web-ext lint` warns below it.
 */
export const FIREFOX_MIN_VERSION = '142.0';

export interface ChromeManifestInput {
  manifest_version: number;
  name: string;
  version: string;
  background?: { service_worker: string; type?: string };
  minimum_chrome_version?: string;
  [key: string]: unknown;
}

export interface FirefoxManifest {
  manifest_version: number;
  name: string;
  version: string;
  background: { scripts: string[] };
  browser_specific_settings: {
    gecko: {
      id: string;
      strict_min_version: string;
      data_collection_permissions: { required: ['none'] };
    };
  };
  [key: string]: unknown;
}

export function firefoxManifest(chrome: ChromeManifestInput): FirefoxManifest {
  if (chrome.manifest_version !== 3) throw new Error(`manifest-firefox: expected manifest_version 3, got ${chrome.manifest_version}`);
  const worker = chrome.background?.service_worker;
  if (!worker) throw new Error('manifest-firefox: manifest.json has no background.service_worker to run as an event page');
  // Structured copy: the Chrome build keeps using the original object.
  const { background: _background, minimum_chrome_version: _minChrome, ...rest } = structuredClone(chrome);
  void _background;
  void _minChrome;
  return {
    ...rest,
    manifest_version: chrome.manifest_version,
    name: chrome.name,
    version: chrome.version,
    background: { scripts: [worker] },
    browser_specific_settings: {
      gecko: {
        id: GECKO_ID,
        strict_min_version: FIREFOX_MIN_VERSION,
        data_collection_permissions: { required: ['none'] },
      },
    },
  };
}
