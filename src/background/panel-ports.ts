/**
 * Panels subscribe on a port named after the inspected tab; they get a
 * snapshot, the log newest first (see `src/shared/panel-feed.ts`: the newest
 * entries at once, older ones in chunks as the panel asks), then deltas.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { tabIdFromPanelPort } from '../shared/protocol';
import { createLogFeed } from '../shared/panel-feed';
import { isExtensionPage } from './sender';
import type { Store } from './store';

export function registerPanelPorts(store: Store): void {
  browser.runtime.onConnect.addListener((port: Runtime.Port) => {
    if (tabIdFromPanelPort(port.name) === null) return;
    if (!isExtensionPage(port.sender)) {
      port.disconnect();
      return;
    }
    let open = true;
    const feed = createLogFeed((message) => {
      if (!open) return;
      try {
        port.postMessage(message);
      } catch {
        // The port closed under us; its onDisconnect unsubscribes.
      }
    });
    port.onMessage.addListener((message: unknown) => feed.receive(message));
    const unsubscribe = store.subscribe({ post: (message) => feed.post(message) });
    port.onDisconnect.addListener(() => {
      open = false;
      unsubscribe();
    });
  });
}
