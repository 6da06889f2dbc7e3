/**
 * The three extension APIs the relay uses (runtime.connect, runtime.id,
 * storage.sync.get), straight from the browser: `browser` in Firefox, `chrome`
 * in Chromium, where both return promises for storage in Manifest V3.
 *
 * Not webextension-polyfill: the relay runs at the start of every frame of
 * every page, before the page's first script, and loading the polyfill there
 * (its code, and the bundler's copy of the `chrome` object's properties)
 * cost each page several milliseconds (docs/benchmarks.md).
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
