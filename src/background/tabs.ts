/** Closed tabs close their connections; titles and URLs follow the tab. */
import browser from 'webextension-polyfill';
import type { Store } from './store';

export function registerTabs(store: Store): void {
  browser.tabs.onRemoved.addListener((tabId) => store.dispatch({ kind: 'tab:removed', tabId, t: Date.now() }));
  browser.tabs.onUpdated.addListener((tabId, change) => {
    if (change.title === undefined && change.url === undefined) return;
    store.dispatch({
      kind: 'tab:updated',
      tabId,
      ...(change.url !== undefined ? { url: change.url } : {}),
      ...(change.title !== undefined ? { title: change.title } : {}),
    });
  });
  // After a restart, forget tabs that were closed while the worker was stopped.
  void store.ready.then(async () => {
    const open = new Set((await browser.tabs.query({})).map((t) => t.id));
    for (const tabId of store.state.tabs.keys()) {
      if (!open.has(tabId)) store.dispatch({ kind: 'tab:removed', tabId, t: Date.now() });
    }
  });
}
