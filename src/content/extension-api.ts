/**
 * The three extension APIs the relay uses (runtime.connect, runtime.id,
 * storage.sync.get), straight from the browser: `browser` in Firefox, `chrome`
 * in Chromium, where both return promises for storage in Manifest V3.
 *
 * Not webextension-polyfill: the relay runs at the start of every frame of
 * every page, and the polyfill's module wrapper copied the whole `chrome`
 * object on load (touching lazily built namespaces such as `chrome.app`), a
 * cost each page paid before its first script (docs/benchmarks.md).
 */
import type { PortLike } from './relay-core';

export interface RelayApi {
  runtime: { id?: string; connect(info: { name: string }): PortLike };
  storage: { sync: { get(key: string): Promise<Record<string, unknown>> } };
}

/** The extension API of this content script's world, or null outside an extension. */
export function relayApi(scope: object = globalThis): RelayApi | null {
  const g = scope as { browser?: Partial<RelayApi>; chrome?: Partial<RelayApi> };
  for (const api of [g.browser, g.chrome]) {
    if (api && typeof api === 'object' && api.runtime && typeof api.runtime.connect === 'function') return api as RelayApi;
  }
  return null;
}
